package io.filterscope.engine.param;

import io.filterscope.UserError;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Which parameterization a run optimizes, for a model's input space: Lucent's {@code param_f}, kept as a
 * value so a run can tell whether an update would change it (it cannot while the run goes).
 *
 * @param decorrelate with {@link Kind#FFT} and three channels, optimize colours in a decorrelated space
 * @param init        where the images start
 * @param prior       the model's learned image prior, for {@link Kind#PRIOR}; null when the model has none
 */
public record ParameterizationSpec(Kind kind, boolean decorrelate, Init init, InputSpace space, ImagePrior prior) {

    public enum Kind {
        /** {@link PixelImage}: the pixels themselves. */
        PIXEL,
        /** {@link FourierImage}: Fourier coefficients scaled by 1/frequency. */
        FFT,
        /** {@link PriorImage}: a latent code of the model's learned image prior. */
        PRIOR
    }

    /** Where a run's images start, before the first step. */
    public enum Init {
        /** Mid-grey plus a little seeded noise (for {@link Kind#PRIOR}: a random code at the prior's typical norm). */
        NOISE,
        /**
         * The candidate that excites the objective most of the mean of the example pictures that excite it most
         * (Nguyen et al.), the top one and each flat colour, plus that noise ({@code AscentRun}).
         */
        EXAMPLES
    }

    /** A spec that starts from noise, without a prior. */
    public ParameterizationSpec(Kind kind, boolean decorrelate, InputSpace space) {
        this(kind, decorrelate, Init.NOISE, space, null);
    }

    /**
     * Multiply-adds of one step of the parameterization for images of {@code shape} ([n, c, h, w]), image and
     * gradient, for step-time estimates: a Fourier image's inverse FFT and its adjoint ({@link
     * FourierImage#multiplyAdds}), which grow as the side cubed; 0 for pixels, and for a prior's code, whose
     * products are a few percent of a step at the model's own size, the only size it takes (emoji-cnn's 160
     * images of 64 px: 0.04 s of a 0.84 s step).
     */
    public long multiplyAdds(long[] shape) {
        return kind == Kind.FFT ? FourierImage.multiplyAdds(shape) : 0;
    }

    /**
     * A new parameterization for images of {@code shape} ([n, c, h, w]).
     *
     * @throws UserError for {@link Kind#PRIOR} when the model has no prior or the images are not its size
     */
    public Parameterization create(long[] shape, DataType dtype, Start start) {
        return switch (kind) {
            case PIXEL -> new PixelImage(shape, dtype, space, start);
            case FFT -> new FourierImage(shape, dtype, space, decorrelate, start);
            case PRIOR -> {
                if (prior == null) {
                    throw new UserError("this model has no learned image prior (its metadata names none); "
                            + "use parameterization fft or pixel");
                }
                yield new PriorImage(shape, dtype, space, prior, start);
            }
        };
    }
}
