package io.filterscope.engine.param;

import org.nd4j.linalg.api.buffer.DataType;

/**
 * Which parameterization a run optimizes, for a model's input space: Lucent's {@code param_f}, kept as a
 * value so a run can tell whether an update would change it (it cannot while the run goes).
 *
 * @param decorrelate with {@link Kind#FFT} and three channels, optimize colours in a decorrelated space
 */
public record ParameterizationSpec(Kind kind, boolean decorrelate, InputSpace space) {

    public enum Kind {
        /** {@link PixelImage}: the pixels themselves. */
        PIXEL,
        /** {@link FourierImage}: Fourier coefficients scaled by 1/frequency. */
        FFT
    }

    /** A new parameterization for images of {@code shape} ([n, c, h, w]), starting from seeded noise. */
    public Parameterization create(long[] shape, DataType dtype, long seed) {
        return switch (kind) {
            case PIXEL -> new PixelImage(shape, dtype, space, seed);
            case FFT -> new FourierImage(shape, dtype, space, decorrelate, seed);
        };
    }
}
