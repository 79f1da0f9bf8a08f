package io.filterscope.engine.param;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.filterscope.engine.Workspaces;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastAddOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastDivOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastMax;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastMin;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastMulOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastSubOp;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarAdd;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarDivision;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarMax;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarMin;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarMultiplication;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarSubtraction;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * How a displayable image (RGB or grey, values in [0, 1]) maps to the model's input, the one place that
 * owns this mapping. For model channel c, fed from display channel c' (c' = c for RGB, reversed for BGR):
 * {@code input[c] = (low + unit[c'] * (high - low) - mean[c]) / std[c]}. {@code mean} and {@code std} are
 * per model channel, in the units of [low, high]; left out they are 0 and 1. Caffe's VGG16 is
 * {@code {"low":0, "high":255, "mean":[103.939, 116.779, 123.68], "channelOrder":"BGR"}}; a torchvision
 * model is {@code {"low":0, "high":1, "mean":[0.485, 0.456, 0.406], "std":[0.229, 0.224, 0.225]}}.
 * The engine optimizes in input space; every conversion is a device op on whole NCHW arrays.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record InputSpace(Double low, Double high, List<Double> mean, List<Double> std, String channelOrder) {

    public static final InputSpace UNIT = range(0, 1);
    /** Caffe-style VGG preprocessing: BGR, 0..255, ImageNet mean subtracted, no scaling. */
    public static final InputSpace CAFFE_BGR = new InputSpace(0.0, 255.0, List.of(103.939, 116.779, 123.68), null, "BGR");
    /** torchvision's ImageNet convention, which PyTorch models and most ONNX exports expect: RGB, [0, 1], mean and std. */
    public static final InputSpace TORCHVISION = new InputSpace(0.0, 1.0, List.of(0.485, 0.456, 0.406), List.of(0.229, 0.224, 0.225), null);

    public InputSpace {
        if (low == null || high == null) {
            throw new IllegalArgumentException("\"input\" needs \"low\" and \"high\": the pixel range before mean and std");
        }
        if (!(high > low) || !Double.isFinite(low) || !Double.isFinite(high)) {
            throw new IllegalArgumentException("\"input\" must have low < high, got [" + low + ", " + high + "]");
        }
        if (mean != null && (mean.isEmpty() || mean.stream().anyMatch(m -> m == null || !Double.isFinite(m)))) {
            throw new IllegalArgumentException("\"input\" \"mean\" must be a list of numbers, one per channel, got " + mean);
        }
        if (std != null && (std.isEmpty() || std.stream().anyMatch(s -> s == null || !(s > 0) || !Double.isFinite(s)))) {
            throw new IllegalArgumentException("\"input\" \"std\" must be a list of positive numbers, one per channel, got " + std);
        }
        if (channelOrder != null && !channelOrder.equals("RGB") && !channelOrder.equals("BGR")) {
            throw new IllegalArgumentException("\"input\" \"channelOrder\" must be \"RGB\" or \"BGR\", got \"" + channelOrder + "\"");
        }
        mean = mean == null ? null : List.copyOf(mean);
        std = std == null ? null : List.copyOf(std);
    }

    /** Plain scaling of [0, 1] to [low, high], same for every channel. */
    public static InputSpace range(double low, double high) {
        return new InputSpace(low, high, null, null, null);
    }

    /** Why this mapping cannot feed a model with that many input channels, or null when it can. */
    public String mismatch(int channels) {
        if (mean != null && mean.size() != channels) {
            return "\"input\" \"mean\" has " + mean.size() + " values but the model has " + channels + " input channels";
        }
        if (std != null && std.size() != channels) {
            return "\"input\" \"std\" has " + std.size() + " values but the model has " + channels + " input channels";
        }
        if (bgr() && channels != 3) {
            return "\"input\" \"channelOrder\" BGR needs 3 input channels, the model has " + channels;
        }
        return null;
    }

    @JsonIgnore
    public boolean bgr() {
        return "BGR".equals(channelOrder);
    }

    /** Input units per display unit, per model channel: (high - low) / std. */
    public double[] scale(int channels) {
        double[] s = new double[channels];
        for (int c = 0; c < channels; c++) {
            s[c] = (high - low) / (std == null ? 1 : std.get(c));
        }
        return s;
    }

    /** The input value of a black pixel (display 0), per model channel. */
    public double[] offset(int channels) {
        double[] o = new double[channels];
        for (int c = 0; c < channels; c++) {
            o[c] = (low - (mean == null ? 0 : mean.get(c))) / (std == null ? 1 : std.get(c));
        }
        return o;
    }

    /** The mid-grey (display 0.5) ascent starts from and clipping resets to, per model channel. */
    public double[] neutral(int channels) {
        return at(channels, 0.5);
    }

    /** The smallest valid input per model channel (display 0): what pixels are clamped to. */
    public double[] lower(int channels) {
        return at(channels, 0);
    }

    /** The largest valid input per model channel (display 1). */
    public double[] upper(int channels) {
        return at(channels, 1);
    }

    private double[] at(int channels, double unit) {
        double[] s = scale(channels);
        double[] o = offset(channels);
        for (int c = 0; c < channels; c++) {
            o[c] += unit * s[c];
        }
        return o;
    }

    /** The average input units per display unit over the channels: how large one step of the image is. */
    public double meanScale(int channels) {
        double sum = 0;
        for (double s : scale(channels)) {
            sum += s;
        }
        return sum / channels;
    }

    /** Display images [n, c, h, w] (RGB or grey, in [0, 1]) as the model's input (a new array). */
    public INDArray toInput(INDArray display) {
        int c = (int) display.size(1);
        INDArray x = reordered(display.dup('c'));
        perChannel(x, scale(c), Op.MUL);
        perChannel(x, offset(c), Op.ADD);
        return x;
    }

    /** The model's input [n, c, h, w] as display images, RGB or grey, in [0, 1] for valid inputs (a new array). */
    public INDArray toDisplay(INDArray input) {
        int c = (int) input.size(1);
        INDArray x = input.dup('c');
        perChannel(x, offset(c), Op.SUB);
        perChannel(x, scale(c), Op.DIV);
        return reordered(x);
    }

    /** d/d(display) from d/d(input): the adjoint of {@link #toInput}'s linear part (a new array). */
    public INDArray displayGradient(INDArray inputGradient) {
        int c = (int) inputGradient.size(1);
        INDArray g = inputGradient.dup('c');
        perChannel(g, scale(c), Op.MUL);
        return reordered(g);
    }

    /**
     * d/d(input) that {@link #displayGradient} carries to {@code displayGradient}: its inverse, for a term of the image
     * measured in display units (a new array).
     */
    public INDArray inputGradient(INDArray displayGradient) {
        int c = (int) displayGradient.size(1);
        INDArray g = reordered(displayGradient.dup('c'));
        perChannel(g, scale(c), Op.DIV);
        return g;
    }

    /** Clamps input images [n, c, h, w] in place to the valid range of each channel. */
    public void clamp(INDArray input) {
        int c = (int) input.size(1);
        perChannel(input, lower(c), Op.MAX);
        perChannel(input, upper(c), Op.MIN);
    }

    /** An elementwise op of an image with a value per channel. */
    private enum Op {
        ADD, SUB, MUL, DIV, MAX, MIN;

        /** Whether {@code x op value} is {@code x} for every float x: such an op is left out. */
        boolean identity(double value) {
            return value == 0 && (this == ADD || this == SUB) || value == 1 && (this == MUL || this == DIV);
        }
    }

    /**
     * {@code x[:, c] = x[:, c] op values[c]} in place, x [n, c, h, w]. When every channel has the same value (grey images,
     * a range without mean or std) it is one scalar op, or none when that leaves x as it is (subtracting 0, dividing by
     * 1), with the same floats as the broadcast: libnd4j broadcasts along dimension 1 in pieces one channel long, 3-5
     * times a scalar op's time on a batch of 28 px images (docs/performance.md).
     */
    private static void perChannel(INDArray x, double[] values, Op op) {
        if (java.util.Arrays.stream(values).allMatch(v -> v == values[0])) {
            double v = values[0];
            if (!op.identity(v)) {
                Nd4j.exec(switch (op) {
                    case ADD -> new ScalarAdd(x, null, x, v);
                    case SUB -> new ScalarSubtraction(x, null, x, v);
                    case MUL -> new ScalarMultiplication(x, null, x, v);
                    case DIV -> new ScalarDivision(x, null, x, v);
                    case MAX -> new ScalarMax(x, null, x, v);
                    case MIN -> new ScalarMin(x, null, x, v);
                });
            }
            return;
        }
        INDArray y = vector(values, x.dataType());
        Nd4j.exec(switch (op) {
            case ADD -> new BroadcastAddOp(x, y, x, 1);
            case SUB -> new BroadcastSubOp(x, y, x, 1);
            case MUL -> new BroadcastMulOp(x, y, x, 1);
            case DIV -> new BroadcastDivOp(x, y, x, 1);
            case MAX -> new BroadcastMax(x, y, x, 1);
            case MIN -> new BroadcastMin(x, y, x, 1);
        });
    }

    /**
     * A per-channel vector as a device array, for broadcasting along dimension 1: read-only, made once per values,
     * type and device and shared (a step asked for several per run, each a new array and a cast).
     */
    public static INDArray vector(double[] perChannel, DataType dtype) {
        List<Object> key = List.of(dtype, Nd4j.getAffinityManager().getDeviceForCurrentThread(),
                java.util.Arrays.stream(perChannel).boxed().toList());
        return VECTORS.computeIfAbsent(key, k -> Workspaces.persistent(() -> Nd4j.createFromArray(perChannel).castTo(dtype)));
    }

    /** {@link #vector}'s arrays, by type, device and values: a few per model. */
    private static final Map<List<Object>, INDArray> VECTORS = new ConcurrentHashMap<>();

    /** {@code x} itself for RGB; for BGR a new array with the channels reversed (its own inverse). */
    private INDArray reordered(INDArray x) {
        if (!bgr()) {
            return x;
        }
        // One strided copy per channel: libnd4j's "reverse" op took ~10 ms on a 3x128x128 image here.
        INDArray out = Nd4j.create(x.dataType(), x.shape());
        long channels = x.size(1);
        for (long c = 0; c < channels; c++) {
            out.get(NDArrayIndex.all(), NDArrayIndex.point(c)).assign(x.get(NDArrayIndex.all(), NDArrayIndex.point(channels - 1 - c)));
        }
        return out;
    }
}
