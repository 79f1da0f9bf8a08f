package io.filterscope.model.onnx;

import io.filterscope.engine.net.Ops;
import io.filterscope.model.onnx.OnnxGraph.Activation;
import io.filterscope.model.onnx.OnnxGraph.Constant;
import io.filterscope.model.onnx.OnnxGraph.Value;
import java.io.IOException;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Add, Sub, Mul, Div (and Pow, Sqrt, Erf on constants). On two constants they are folded at load time, with
 * numpy broadcasting and integer division for integer shapes. An activation with a constant that is one
 * number, or one number per channel, is a per-channel affine map; two activations of one shape are joined.
 */
final class ElementwiseReaders {
    private ElementwiseReaders() {
    }

    private enum Arith { ADD, SUB, MUL, DIV }

    static void register(OnnxOpReaders r) {
        r.add("Add", 1, (n, g) -> binary(n, g, Arith.ADD));
        r.add("Sub", 1, (n, g) -> binary(n, g, Arith.SUB));
        r.add("Mul", 1, (n, g) -> binary(n, g, Arith.MUL));
        r.add("Div", 1, (n, g) -> binary(n, g, Arith.DIV));
        r.add("Pow", 1, (n, g) -> g.put(n, new Constant(fold(g.constant(n, 0).value(), g.constant(n, 1).value(), Math::pow, false))));
        r.add("Sqrt", 1, (n, g) -> g.put(n, new Constant(map(g.constant(n, 0).value(), Math::sqrt))));
        r.add("Neg", 1, (n, g) -> negate(n, g));
    }

    private static void binary(OnnxNode n, OnnxGraph g, Arith op) throws IOException {
        Value a = g.input(n, 0);
        Value b = g.input(n, 1);
        if (a instanceof Constant ca && b instanceof Constant cb) {
            boolean integer = !ca.value().dataType().isFPType() && !cb.value().dataType().isFPType();
            DoubleBinaryOperator f = switch (op) {
                case ADD -> Double::sum;
                case SUB -> (x, y) -> x - y;
                case MUL -> (x, y) -> x * y;
                case DIV -> integer ? (x, y) -> (double) ((long) x / (long) y) : (x, y) -> x / y;
            };
            g.put(n, new Constant(fold(ca.value(), cb.value(), f, integer)));
            return;
        }
        if (a instanceof Activation xa && b instanceof Activation xb) {
            long[] shape = broadcast(xa.shape(), xb.shape());
            if (shape == null || !java.util.Arrays.equals(xa.perm(), xb.perm())) {
                throw n.refuse("cannot combine activations of shapes " + OnnxGraph.shape(xa.shape()) + " and "
                        + OnnxGraph.shape(xb.shape()) + " (broadcasting needs one rank, one layout, and axes of size 1)");
            }
            Ops.Join join = switch (op) {
                case ADD -> Ops.Join.ADD;
                case SUB -> Ops.Join.SUBTRACT;
                case MUL -> Ops.Join.PRODUCT;
                case DIV -> throw n.refuse("dividing one activation by another is not supported");
            };
            g.put(n, g.add(Ops.join(join), shape, xa, xb));
            return;
        }
        boolean constantFirst = a instanceof Constant;
        Activation x = (Activation) (constantFirst ? b : a);
        INDArray c = perChannel(n, x, ((Constant) (constantFirst ? a : b)).value());
        INDArray ones = Nd4j.ones(DataType.DOUBLE, c.length());
        INDArray zeros = Nd4j.zeros(DataType.DOUBLE, c.length());
        INDArray[] scaleShift = switch (op) {
            case ADD -> new INDArray[] {ones, c};
            case SUB -> constantFirst ? new INDArray[] {ones.neg(), c} : new INDArray[] {ones, c.neg()};
            case MUL -> new INDArray[] {c, zeros};
            case DIV -> {
                if (constantFirst) {
                    throw n.refuse("dividing a constant by an activation is not supported");
                }
                yield new INDArray[] {Nd4j.ones(DataType.DOUBLE, c.length()).div(c), zeros};
            }
        };
        g.put(n, g.add(Ops.affine(scaleShift[0], scaleShift[1]), x.shape(), x));
    }

    private static void negate(OnnxNode n, OnnxGraph g) throws IOException {
        Value v = g.input(n, 0);
        if (v instanceof Constant c) {
            g.put(n, new Constant(c.value().neg()));
            return;
        }
        Activation x = (Activation) v;
        long channels = x.physicalShape()[1];
        g.put(n, g.add(Ops.affine(Nd4j.valueArrayOf(new long[] {channels}, -1.0), Nd4j.zeros(DataType.DOUBLE, channels)), x.shape(), x));
    }

    /** The broadcast shape of two tensors of one rank, or null. */
    private static long[] broadcast(long[] a, long[] b) {
        if (a.length != b.length) {
            return null;
        }
        long[] s = new long[a.length];
        for (int d = 0; d < a.length; d++) {
            if (a[d] != b[d] && a[d] != 1 && b[d] != 1) {
                return null;
            }
            s[d] = Math.max(a[d], b[d]);
        }
        return s;
    }

    /**
     * A constant operand as one value per stored channel of {@code x} (double), or a refusal when it varies
     * along another axis or would enlarge the result.
     */
    static INDArray perChannel(OnnxNode n, Activation x, INDArray c) {
        long[] cs = c.shape();
        int rank = x.rank();
        if (cs.length > rank) {
            throw n.refuse("a constant of shape " + OnnxGraph.shape(cs) + " broadcasts beyond " + OnnxGraph.shape(x.shape()));
        }
        long channels = x.physicalShape()[1];
        int varying = -1;
        for (int i = 0; i < cs.length; i++) {
            int d = rank - cs.length + i;
            if (cs[i] == 1) {
                continue;
            }
            if (cs[i] != x.shape()[d] || x.physical(d) != 1 || varying >= 0) {
                throw n.refuse("a constant of shape " + OnnxGraph.shape(cs) + " varies along more than the channels of "
                        + OnnxGraph.shape(x.shape()) + "; only one value, or one per channel, is supported");
            }
            varying = d;
        }
        INDArray flat = c.castTo(DataType.DOUBLE).reshape(-1);
        return varying >= 0 ? flat.dup() : Nd4j.valueArrayOf(new long[] {channels}, flat.getDouble(0));
    }

    /** f over two constants with numpy broadcasting. */
    static INDArray fold(INDArray a, INDArray b, DoubleBinaryOperator f, boolean integer) {
        int rank = Math.max(a.rank(), b.rank());
        long[] shape = new long[rank];
        long[] as = padded(a.shape(), rank);
        long[] bs = padded(b.shape(), rank);
        for (int d = 0; d < rank; d++) {
            if (as[d] != bs[d] && as[d] != 1 && bs[d] != 1) {
                throw new IllegalArgumentException("shapes " + OnnxGraph.shape(a.shape()) + " and " + OnnxGraph.shape(b.shape())
                        + " do not broadcast");
            }
            shape[d] = Math.max(as[d], bs[d]);
        }
        double[] x = a.castTo(DataType.DOUBLE).dup('c').reshape(-1).toDoubleVector();
        double[] y = b.castTo(DataType.DOUBLE).dup('c').reshape(-1).toDoubleVector();
        long total = 1;
        for (long s : shape) {
            total *= s;
        }
        double[] out = new double[(int) total];
        long[] idx = new long[rank];
        for (int k = 0; k < out.length; k++) {
            out[k] = f.applyAsDouble(x[(int) offset(idx, as)], y[(int) offset(idx, bs)]);
            for (int d = rank - 1; d >= 0; d--) {
                if (++idx[d] < shape[d]) {
                    break;
                }
                idx[d] = 0;
            }
        }
        INDArray r = Nd4j.createFromArray(out);
        r = rank == 0 ? r.reshape() : r.reshape('c', shape);
        return integer ? r.castTo(DataType.LONG) : r.castTo(a.dataType().isFPType() ? a.dataType() : b.dataType());
    }

    static INDArray map(INDArray a, DoubleUnaryOperator f) {
        return fold(a, Nd4j.scalar(0.0), (x, y) -> f.applyAsDouble(x), false);
    }

    private static long[] padded(long[] s, int rank) {
        long[] p = new long[rank];
        java.util.Arrays.fill(p, 1);
        System.arraycopy(s, 0, p, rank - s.length, s.length);
        return p;
    }

    private static long offset(long[] idx, long[] shape) {
        long o = 0;
        for (int d = 0; d < shape.length; d++) {
            o = o * shape[d] + (shape[d] == 1 ? 0 : idx[d]);
        }
        return o;
    }
}
