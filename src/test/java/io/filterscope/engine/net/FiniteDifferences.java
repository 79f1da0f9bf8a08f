package io.filterscope.engine.net;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Checks an analytic gradient against central differences along random directions (double precision). */
public final class FiniteDifferences {
    private FiniteDifferences() {
    }

    /** Steps of 1e-7 along each direction: small enough that a step in a deep ReLU network rarely crosses a kink. */
    public static void assertDirectionalDerivatives(Function<INDArray, Double> f, INDArray x, INDArray gradient,
                                                    int directions, double relativeTolerance) {
        assertDirectionalDerivatives(f, x, gradient, directions, relativeTolerance, 1e-7);
    }

    /**
     * Central differences with steps of {@code eps}. Rounding in f (whose sums may run in another order on each
     * call) is amplified by 1/eps: a larger step suits a single op, where kinks are few (a plain convolution's
     * f of 16 once missed its exact derivative by 7e-8 at 1e-7).
     *
     * <p>A direction whose segment [x - eps v, x + eps v] crosses a kink (a ReLU or max-pool switching inside
     * it) makes the central quotient wrong by half the jump in slope, however right the gradient. In a
     * piecewise-linear f that is exactly half the gap between the forward and backward quotients, so a
     * disagreement no larger than that gap is the kink's, and another direction is drawn (up to
     * {@code directions} times). A wrong gradient on a smooth stretch still fails: there both one-sided
     * quotients agree with the central one.
     *
     * @return how many directions were redrawn for crossing a kink
     */
    public static int assertDirectionalDerivatives(Function<INDArray, Double> f, INDArray x, INDArray gradient,
                                                   int directions, double relativeTolerance, double eps) {
        double at = f.apply(x);
        int kinks = 0;
        for (int d = 0; d < directions; d++) {
            INDArray v = Nd4j.randn(DataType.DOUBLE, x.shape());
            double plus = f.apply(x.add(v.mul(eps)));
            double minus = f.apply(x.sub(v.mul(eps)));
            double numeric = (plus - minus) / (2 * eps);
            double analytic = gradient.mul(v).sumNumber().doubleValue();
            double scale = Math.max(1e-3, Math.abs(numeric) + Math.abs(analytic));
            // What rounding a few ulps in each of f(x + eps v) and f(x - eps v) makes of the quotient.
            double roundingFloor = 8 * Math.ulp(Math.max(Math.abs(plus), Math.abs(minus))) / eps;
            double allowed = relativeTolerance * scale + roundingFloor + 1e-9;
            double asymmetry = Math.abs((plus - at) - (at - minus)) / eps;
            if (Math.abs(numeric - analytic) > allowed && Math.abs(numeric - analytic) <= asymmetry && kinks < directions) {
                kinks++;
                d--;
                continue;
            }
            assertEquals(numeric, analytic, allowed, "directional derivative " + d + ": numeric " + numeric + " vs analytic "
                    + analytic + " (forward " + (plus - at) / eps + ", backward " + (at - minus) / eps + ", " + kinks
                    + " directions across a kink redrawn)");
        }
        return kinks;
    }

    /**
     * Checks {@code net}'s input gradient at {@code x} for f(x) = the sum over layers of
     * &lt;weights[layer], output of that layer&gt;, whose gradient at each layer is its weights. Returns the
     * gradient, for further checks.
     */
    public static INDArray assertInputGradient(Network net, INDArray x, Map<String, INDArray> weights,
                                               int directions, double relativeTolerance) {
        return assertInputGradient(net, x, weights, directions, relativeTolerance, 1e-7);
    }

    /** As above, with steps of {@code eps}. */
    public static INDArray assertInputGradient(Network net, INDArray x, Map<String, INDArray> weights,
                                               int directions, double relativeTolerance, double eps) {
        Set<String> layers = weights.keySet();
        Function<INDArray, Double> f = in -> {
            net.input().assign(in);
            net.forward(layers);
            double sum = 0;
            for (String l : layers) {
                sum += net.output(l).mul(weights.get(l)).sumNumber().doubleValue();
            }
            return sum;
        };
        f.apply(x);
        net.clearGradients(layers);
        layers.forEach(l -> net.gradient(l).assign(weights.get(l)));
        INDArray gradient = net.backward(layers, 0).dup();
        assertDirectionalDerivatives(f, x, gradient, directions, relativeTolerance, eps);
        return gradient;
    }
}
