package io.filterscope.engine.net;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarMax;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarMin;
import org.nd4j.linalg.api.ops.impl.scalar.Step;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Erf;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Exp;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Sigmoid;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Tanh;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A smooth (or piecewise linear) activation applied to every value, with its derivative for the backward
 * pass: {@code gradIn = gradOut * f'(x)}. Each is composed of ND4J's element ops into buffers allocated
 * once; libnd4j's own GELU ops are approximations (x * sigmoid(1.702 x), and the tanh form), so the exact
 * GELU is built from erf here.
 */
final class PointwiseStage extends Stage {
    private static final double SQRT_HALF = Math.sqrt(0.5);
    private static final double INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
    private static final double SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
    private static final double SELU_ALPHA = 1.6732632423543772848170429916717;
    private static final double SELU_SCALE = 1.0507009873554804934193349852946;

    private final Ops.Activation fn;
    private final double a;
    private final double b;
    private INDArray d;
    private INDArray t1;
    private INDArray t2;

    /** {@code a}, {@code b}: the function's parameters (ELU's alpha; hard sigmoid's slope and offset). */
    PointwiseStage(String layer, Ops.Activation fn, double a, double b) {
        super(layer);
        this.fn = fn;
        this.a = a;
        this.b = b;
    }

    @Override
    String kind() {
        String name = fn.name().toLowerCase(java.util.Locale.ROOT);
        return switch (fn) {
            case ELU -> name + " " + a;
            case HARD_SIGMOID -> name + " " + a + "x+" + b;
            default -> name;
        };
    }

    @Override
    long[] outputShape(long[] s) {
        return s;
    }

    @Override
    void allocate(INDArray input) {
        super.allocate(input);
        d = out.like();
        t1 = out.like();
        t2 = out.like();
    }

    @Override
    void forward() {
        INDArray x = in;
        switch (fn) {
            case SIGMOID -> Nd4j.exec(new Sigmoid(x, out));
            case TANH -> Nd4j.exec(new Tanh(x, out));
            case ELU -> elu(x, out, a, 1);
            case SELU -> elu(x, out, SELU_ALPHA, SELU_SCALE);
            case HARD_SIGMOID -> clipUnit(x.mul(a, out).addi(b));
            case SWISH -> {
                Nd4j.exec(new Sigmoid(x, t1));
                x.mul(t1, out);
            }
            case HARD_SWISH -> {
                clipUnit(x.mul(1.0 / 6, t1).addi(0.5));
                x.mul(t1, out);
            }
            case GELU -> {
                phi(x, t1);
                x.mul(t1, out);
            }
            case GELU_TANH -> {
                geluTanh(x, t1);
                t1.addi(1).muli(0.5);
                x.mul(t1, out);
            }
            case SOFTPLUS -> {
                // max(x, 0) + log(1 + exp(-|x|)), stable for large |x|
                Nd4j.exec(new ScalarMax(x, null, out, 0));
                softplus(x, out);
            }
            case SOFTSIGN -> {
                abs(x, t1).addi(1);
                x.div(t1, out);
            }
        }
    }

    @Override
    void backward(INDArray gradOut, Leak leak) {
        INDArray x = in;
        switch (fn) {
            case SIGMOID -> out.rsub(1.0, d).muli(out);
            case TANH -> out.mul(out, d).rsubi(1.0);
            case ELU, SELU -> {
                double alpha = fn == Ops.Activation.ELU ? a : SELU_ALPHA;
                double scale = fn == Ops.Activation.ELU ? 1 : SELU_SCALE;
                // x > 0: scale; else scale * alpha * exp(x)
                Nd4j.exec(new Step(x, t1, 0));
                Nd4j.exec(new ScalarMin(x, null, t2, 0));
                Nd4j.exec(new Exp(t2, t2));
                t2.muli(alpha);
                t1.rsub(1.0, d).muli(t2).addi(t1).muli(scale);
            }
            case HARD_SIGMOID -> window(x.mul(a, t1).addi(b), a);
            case SWISH -> {
                // s + x s (1 - s)
                Nd4j.exec(new Sigmoid(x, t1));
                t1.rsub(1.0, d).muli(t1).muli(x).addi(t1);
            }
            case HARD_SWISH -> {
                // h(x) + x / 6 inside (-3, 3), with h(x) = clip(x / 6 + 1/2, 0, 1)
                x.mul(1.0 / 6, t1).addi(0.5);
                window(t1, 1.0 / 6);
                d.muli(x);
                clipUnit(t1);
                d.addi(t1);
            }
            case GELU -> {
                // Phi(x) + x phi(x)
                phi(x, d);
                x.mul(x, t2).muli(-0.5);
                Nd4j.exec(new Exp(t2, t2));
                t2.muli(INV_SQRT_2PI).muli(x);
                d.addi(t2);
            }
            case GELU_TANH -> {
                // 0.5 (1 + t) + 0.5 x (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2), t = tanh(u)
                geluTanh(x, t1);
                t1.add(1, d).muli(0.5);
                t1.muli(t1).rsubi(1.0).muli(0.5 * SQRT_2_OVER_PI).muli(x);
                x.mul(x, t2).muli(3 * 0.044715).addi(1);
                t1.muli(t2);
                d.addi(t1);
            }
            case SOFTPLUS -> Nd4j.exec(new Sigmoid(x, d));
            case SOFTSIGN -> {
                // 1 / (1 + |x|)^2
                abs(x, t1).addi(1);
                t1.muli(t1);
                t1.rdiv(1.0, d);
            }
        }
        gradOut.mul(d, gradIn);
    }

    /** z = scale * (x > 0 ? x : alpha (e^x - 1)) */
    private void elu(INDArray x, INDArray z, double alpha, double scale) {
        Nd4j.exec(new ScalarMin(x, null, t1, 0));
        Nd4j.exec(new Exp(t1, t1));
        t1.subi(1).muli(alpha);
        Nd4j.exec(new ScalarMax(x, null, z, 0));
        z.addi(t1).muli(scale);
    }

    /** z = |x|, returned. */
    private static INDArray abs(INDArray x, INDArray z) {
        return org.nd4j.linalg.ops.transforms.Transforms.abs(z.assign(x), false);
    }

    /** Clamps to [0, 1] in place. */
    private static void clipUnit(INDArray y) {
        Nd4j.exec(new ScalarMax(y, null, y, 0));
        Nd4j.exec(new ScalarMin(y, null, y, 1));
    }

    /** d = slope where 0 < y < 1, else 0. */
    private void window(INDArray y, double slope) {
        Nd4j.exec(new Step(y, d, 0));
        Nd4j.exec(new Step(y, t2, 1));
        d.subi(t2).muli(slope);
    }

    /** The standard normal distribution function: z = (1 + erf(x / sqrt 2)) / 2. */
    private static void phi(INDArray x, INDArray z) {
        x.mul(SQRT_HALF, z);
        Nd4j.exec(new Erf(z, z));
        z.addi(1).muli(0.5);
    }

    /** z = tanh(sqrt(2/pi) (x + 0.044715 x^3)) */
    private void geluTanh(INDArray x, INDArray z) {
        x.mul(x, t2).muli(x).muli(0.044715).addi(x).muli(SQRT_2_OVER_PI);
        Nd4j.exec(new Tanh(t2, z));
    }

    private void softplus(INDArray x, INDArray z) {
        // z holds max(x, 0); add log(1 + exp(-|x|))
        abs(x, t1).negi();
        Nd4j.exec(new Exp(t1, t1));
        t1.addi(1);
        org.nd4j.linalg.ops.transforms.Transforms.log(t1, false);
        z.addi(t1);
    }
}
