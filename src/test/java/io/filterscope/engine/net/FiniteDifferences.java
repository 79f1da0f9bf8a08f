package io.filterscope.engine.net;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
