package io.filterscope.model;

import com.fasterxml.jackson.annotation.JsonIgnore;

/**
 * How pixel values of a displayable image ([0, 1] per channel) map to the model's input values:
 * {@code input = low + unit * (high - low)}. This is the one place that owns the mapping; the engine
 * optimizes in input space and converts back only to show or save an image.
 */
public record InputSpace(double low, double high) {

    public static final InputSpace UNIT = new InputSpace(0, 1);

    public InputSpace {
        if (!(high > low) || !Double.isFinite(low) || !Double.isFinite(high)) {
            throw new IllegalArgumentException("input range must have low < high, got [" + low + ", " + high + "]");
        }
    }

    @JsonIgnore
    public double width() {
        return high - low;
    }

    /** The mid-grey that ascent starts from and that clipping resets pixels to. */
    @JsonIgnore
    public double neutral() {
        return (low + high) / 2;
    }

    public double toInput(double unit) {
        return low + unit * width();
    }

    public double toUnit(double input) {
        return (input - low) / width();
    }
}
