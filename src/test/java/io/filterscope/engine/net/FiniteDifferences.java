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

    public static void assertDirectionalDerivatives(Function<INDArray, Double> f, INDArray x, INDArray gradient,
                                                    int directions, double relativeTolerance) {
        double eps = 1e-7;
        for (int d = 0; d < directions; d++) {
            INDArray v = Nd4j.randn(DataType.DOUBLE, x.shape());
            double numeric = (f.apply(x.add(v.mul(eps))) - f.apply(x.sub(v.mul(eps)))) / (2 * eps);
            double analytic = gradient.mul(v).sumNumber().doubleValue();
            double scale = Math.max(1e-3, Math.abs(numeric) + Math.abs(analytic));
            assertEquals(numeric, analytic, relativeTolerance * scale + 1e-9,
                    "directional derivative " + d + ": numeric " + numeric + " vs analytic " + analytic);
        }
    }

    /**
     * Checks {@code net}'s input gradient at {@code x} for f(x) = the sum over layers of
     * &lt;weights[layer], output of that layer&gt;, whose gradient at each layer is its weights. Returns the
     * gradient, for further checks.
     */
    public static INDArray assertInputGradient(Network net, INDArray x, Map<String, INDArray> weights,
                                               int directions, double relativeTolerance) {
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
        assertDirectionalDerivatives(f, x, gradient, directions, relativeTolerance);
        return gradient;
    }
}
