package io.filterscope.model.onnx;

import io.filterscope.engine.net.Ops;
import io.filterscope.model.onnx.OnnxGraph.Activation;
import io.filterscope.model.onnx.OnnxGraph.Constant;
import io.filterscope.model.onnx.OnnxGraph.Value;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.LongStream;
import onnx.Onnx;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Constants, the nodes that vanish (Identity, Dropout), and the shape glue around them: Shape, Gather,
 * Unsqueeze, Squeeze, Concat, Reshape, Flatten, Transpose, Slice, Split, Cast. On constants they are folded at
 * load time (a shape computed from Shape nodes is a constant: shapes are known at the reference size). On
 * activations: Flatten and Reshape keep the batch axis and copy in c-order; Transpose only changes the
 * recorded layout; Concat, Slice, Split and Gather work along the channels.
 */
final class ShapeReaders {
    private ShapeReaders() {
    }

    static void register(OnnxOpReaders r) {
        r.add("Constant", 1, ShapeReaders::constant);
        for (String alias : List.of("Identity", "Dropout")) {
            r.add(alias, 1, (n, g) -> g.put(n, g.input(n, 0)));
        }
        r.add("Shape", 1, ShapeReaders::shape);
        r.add("Gather", 1, ShapeReaders::gather);
        r.add("Unsqueeze", 1, (n, g) -> unsqueeze(n, g, n.ints("axes", null)));
        r.add("Unsqueeze", 13, (n, g) -> unsqueeze(n, g, g.constant(n, 1).longs()));
        r.add("Squeeze", 1, (n, g) -> squeeze(n, g, n.ints("axes", null)));
        r.add("Squeeze", 13, (n, g) -> squeeze(n, g, g.optionalConstant(n, 1) == null ? null : g.constant(n, 1).longs()));
        r.add("Concat", 1, ShapeReaders::concat);
        r.add("Reshape", 1, (n, g) -> reshape(n, g, n.ints("shape", null)));
        r.add("Reshape", 5, (n, g) -> reshape(n, g, g.constant(n, 1).longs()));
        r.add("Flatten", 1, ShapeReaders::flatten);
        r.add("Transpose", 1, ShapeReaders::transpose);
        r.add("Slice", 1, (n, g) -> slice(n, g, n.ints("starts", null), n.ints("ends", null), n.ints("axes", null), null));
        r.add("Slice", 10, (n, g) -> slice(n, g, g.constant(n, 1).longs(), g.constant(n, 2).longs(),
                g.optionalConstant(n, 3) == null ? null : g.constant(n, 3).longs(),
                g.optionalConstant(n, 4) == null ? null : g.constant(n, 4).longs()));
        r.add("Split", 1, (n, g) -> split(n, g, n.ints("split", null)));
        r.add("Split", 13, (n, g) -> split(n, g, g.optionalConstant(n, 1) == null ? null : g.constant(n, 1).longs()));
        r.add("Cast", 1, ShapeReaders::cast);
        r.add("ConstantOfShape", 9, ShapeReaders::constantOfShape);
        r.add("Pad", 1, (n, g) -> pad(n, g, n.ints("pads", n.ints("paddings", null)), n.f("value", 0f)));
        r.add("Pad", 11, (n, g) -> pad(n, g, g.constant(n, 1).longs(),
                g.optionalConstant(n, 2) == null ? 0 : g.constant(n, 2).value().getDouble(0)));
    }

    /** Constant padding of the rows and columns of NCHW maps: zero padding (nothing else is supported). */
    private static void pad(OnnxNode n, OnnxGraph g, long[] pads, double value) throws IOException {
        if (n.hasInput(3)) {
            throw n.refuse("padding selected axes (the axes input) is not supported");
        }
        Activation x = g.activation(n, 0);
        String mode = n.s("mode", "constant");
        int r = x.rank();
        if (pads == null || pads.length != 2 * r) {
            throw n.refuse("expects " + 2 * r + " pads for a rank-" + r + " input");
        }
        boolean any = false;
        for (long p : pads) {
            any |= p != 0;
        }
        if (!any) {
            g.put(n, x);
            return;
        }
        if (!mode.equals("constant") || value != 0) {
            throw n.refuse("only zero padding is supported (mode " + mode + ", value " + value + ")");
        }
        if (r != 4 || !x.plain() || pads[0] != 0 || pads[1] != 0 || pads[4] != 0 || pads[5] != 0) {
            throw n.refuse("only padding the rows and columns of NCHW maps is supported (pads " + Arrays.toString(pads) + ")");
        }
        for (long p : pads) {
            if (p < 0) {
                throw n.refuse("negative pads (cropping) are not supported");
            }
        }
        long[] s = x.shape();
        long[] shape = {s[0], s[1], s[2] + pads[2] + pads[6], s[3] + pads[3] + pads[7]};
        g.put(n, g.add(Ops.zeroPad(new int[] {(int) pads[2], (int) pads[6], (int) pads[3], (int) pads[7]}), shape, x));
    }

    private static void constant(OnnxNode n, OnnxGraph g) throws IOException {
        Onnx.TensorProto t = n.tensor("value");
        if (t != null) {
            g.put(n, new Constant(g.tensor(t)));
        } else if (n.has("value_float")) {
            g.put(n, new Constant(Nd4j.scalar(n.f("value_float", 0))));
        } else if (n.has("value_floats")) {
            g.put(n, new Constant(Nd4j.createFromArray(n.floats("value_floats"))));
        } else if (n.has("value_int")) {
            g.put(n, new Constant(Nd4j.scalar(n.i("value_int", 0))));
        } else if (n.has("value_ints")) {
            g.put(n, new Constant(Nd4j.createFromArray(n.ints("value_ints", null))));
        } else {
            throw n.refuse("only tensor and number constants are supported");
        }
    }

    private static void shape(OnnxNode n, OnnxGraph g) throws IOException {
        long[] s = g.input(n, 0) instanceof Activation a ? a.shape() : ((Constant) g.input(n, 0)).shape();
        int rank = s.length;
        int start = (int) axis(n.i("start", 0), rank + 1);
        int end = n.has("end") ? (int) axis(n.i("end", rank), rank + 1) : rank;
        g.put(n, new Constant(Nd4j.createFromArray(Arrays.copyOfRange(s, Math.min(start, rank), Math.max(start, Math.min(end, rank))))));
    }

    private static void gather(OnnxNode n, OnnxGraph g) throws IOException {
        Constant idx = g.constant(n, 1);
        Value data = g.input(n, 0);
        int rank = data instanceof Activation a ? a.rank() : ((Constant) data).value().rank();
        int axis = (int) axis(n.i("axis", 0), rank);
        if (data instanceof Constant c) {
            long size = c.value().size(axis);
            long[] i = idx.longs();
            INDArray[] parts = new INDArray[i.length];
            for (int k = 0; k < i.length; k++) {
                parts[k] = slice(c.value(), axis, i[k] < 0 ? i[k] + size : i[k], (i[k] < 0 ? i[k] + size : i[k]) + 1);
            }
            INDArray gathered = parts.length == 1 ? parts[0] : Nd4j.concat(axis, parts);
            long[] shape = new long[rank - 1 + idx.value().rank()];
            int j = 0;
            for (int d = 0; d < rank; d++) {
                if (d == axis) {
                    for (long e : idx.shape()) {
                        shape[j++] = e;
                    }
                } else {
                    shape[j++] = c.value().size(d);
                }
            }
            g.put(n, new Constant(shape.length == 0 ? gathered.reshape() : gathered.reshape('c', shape)));
            return;
        }
        Activation a = (Activation) data;
        if (a.physical(axis) != 1 || idx.value().rank() != 1) {
            throw n.refuse("gathering along axis " + axis + " of an activation is not supported (only a list of channels)");
        }
        long[] i = idx.longs();
        long channels = a.shape()[axis];
        long[] picked = LongStream.of(i).map(k -> k < 0 ? k + channels : k).toArray();
        long[] shape = a.shape().clone();
        shape[axis] = picked.length;
        g.put(n, g.add(Ops.channels(picked), shape, a));
    }

    private static void unsqueeze(OnnxNode n, OnnxGraph g, long[] axes) throws IOException {
        Value v = g.input(n, 0);
        long[] s = v instanceof Activation a ? a.shape() : ((Constant) v).shape();
        int rank = s.length + axes.length;
        boolean[] added = new boolean[rank];
        for (long ax : axes) {
            added[(int) axis(ax, rank)] = true;
        }
        long[] shape = new long[rank];
        for (int d = 0, k = 0; d < rank; d++) {
            shape[d] = added[d] ? 1 : s[k++];
        }
        g.put(n, reshaped(n, g, v, shape));
    }

    private static void squeeze(OnnxNode n, OnnxGraph g, long[] axes) throws IOException {
        Value v = g.input(n, 0);
        long[] s = v instanceof Activation a ? a.shape() : ((Constant) v).shape();
        boolean[] removed = new boolean[s.length];
        if (axes == null) {
            for (int d = 0; d < s.length; d++) {
                removed[d] = s[d] == 1 && !(v instanceof Activation && d == 0);
            }
        } else {
            for (long ax : axes) {
                int d = (int) axis(ax, s.length);
                if (s[d] != 1) {
                    throw n.refuse("cannot squeeze axis " + d + " of size " + s[d]);
                }
                removed[d] = true;
            }
        }
        long[] shape = new long[s.length - (int) countTrue(removed)];
        for (int d = 0, k = 0; d < s.length; d++) {
            if (!removed[d]) {
                shape[k++] = s[d];
            }
        }
        g.put(n, reshaped(n, g, v, shape));
    }

    private static void concat(OnnxNode n, OnnxGraph g) throws IOException {
        List<Value> ins = new ArrayList<>();
        for (int k = 0; k < n.inputCount(); k++) {
            if (n.hasInput(k)) {
                ins.add(g.input(n, k));
            }
        }
        if (ins.stream().allMatch(v -> v instanceof Constant)) {
            List<INDArray> parts = new ArrayList<>();
            for (Value v : ins) {
                INDArray c = ((Constant) v).value();
                if (c.length() > 0) {
                    parts.add(c.rank() == 0 ? c.reshape(1) : c);
                }
            }
            int axis = parts.isEmpty() ? 0 : (int) axis(n.i("axis", 0), parts.get(0).rank());
            g.put(n, new Constant(parts.isEmpty() ? Nd4j.create(DataType.LONG, 0)
                    : parts.size() == 1 ? parts.get(0) : Nd4j.concat(axis, sameType(parts).toArray(new INDArray[0]))));
            return;
        }
        Activation first = null;
        Activation[] acts = new Activation[ins.size()];
        for (int k = 0; k < acts.length; k++) {
            if (!(ins.get(k) instanceof Activation a)) {
                throw n.refuse("concatenating a constant with an activation is not supported");
            }
            acts[k] = a;
            first = first == null ? a : first;
        }
        int axis = (int) axis(n.i("axis", 1), first.rank());
        long[] shape = first.shape().clone();
        shape[axis] = 0;
        for (Activation a : acts) {
            if (!Arrays.equals(a.perm(), first.perm()) || a.rank() != first.rank()) {
                throw n.refuse("concatenates activations of different layouts");
            }
            shape[axis] += a.shape()[axis];
        }
        if (first.physical(axis) != 1) {
            throw n.refuse("concatenation along axis " + axis + " (not the channels) is not supported");
        }
        g.put(n, g.add(Ops.concat(), shape, acts));
    }

    private static void reshape(OnnxNode n, OnnxGraph g, long[] target) throws IOException {
        if (target == null) {
            throw n.refuse("has no target shape");
        }
        Value v = g.input(n, 0);
        long[] s = v instanceof Activation a ? a.shape() : ((Constant) v).shape();
        boolean allowZero = n.i("allowzero", 0) == 1;
        long[] shape = target.clone();
        long known = 1;
        int infer = -1;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == 0 && !allowZero) {
                if (d >= s.length) {
                    throw n.refuse("copies dimension " + d + ", which the input does not have");
                }
                shape[d] = s[d];
            }
            if (shape[d] == -1) {
                infer = d;
            } else {
                known *= shape[d];
            }
        }
        long total = LongStream.of(s).reduce(1, (x, y) -> x * y);
        if (infer >= 0) {
            shape[infer] = known == 0 ? 0 : total / known;
        }
        if (LongStream.of(shape).reduce(1, (x, y) -> x * y) != total) {
            throw n.refuse("cannot reshape " + OnnxGraph.shape(s) + " to " + OnnxGraph.shape(target));
        }
        g.put(n, reshaped(n, g, v, shape));
    }

    /** A constant or activation with a new shape of the same values in c-order; an activation keeps its batch. */
    private static Value reshaped(OnnxNode n, OnnxGraph g, Value v, long[] shape) {
        if (v instanceof Constant c) {
            return new Constant(shape.length == 0 ? c.value().reshape() : c.value().dup('c').reshape('c', shape));
        }
        Activation a = (Activation) v;
        if (shape.length == 0 || shape[0] != a.shape()[0]) {
            throw n.refuse("reshapes " + OnnxGraph.shape(a.shape()) + " to " + OnnxGraph.shape(shape)
                    + ", mixing images of a batch; only reshapes that keep the batch axis are supported");
        }
        if (Arrays.equals(shape, a.shape())) {
            return a;
        }
        Activation plain = g.plain(a);
        long[] perImage = Arrays.copyOfRange(shape, 1, shape.length);
        boolean rows = perImage.length == 1;
        return g.add(rows ? Ops.flatten() : Ops.reshape(perImage), shape, plain);
    }

    private static void flatten(OnnxNode n, OnnxGraph g) throws IOException {
        Value v = g.input(n, 0);
        long[] s = v instanceof Activation a ? a.shape() : ((Constant) v).shape();
        int axis = (int) axis(n.i("axis", 1), s.length + 1);
        long outer = 1;
        long inner = 1;
        for (int d = 0; d < s.length; d++) {
            if (d < axis) {
                outer *= s[d];
            } else {
                inner *= s[d];
            }
        }
        g.put(n, reshaped(n, g, v, new long[] {outer, inner}));
    }

    private static void transpose(OnnxNode n, OnnxGraph g) throws IOException {
        Value v = g.input(n, 0);
        int rank = v instanceof Activation a ? a.rank() : ((Constant) v).value().rank();
        long[] p = n.ints("perm", null);
        int[] perm = new int[rank];
        for (int i = 0; i < rank; i++) {
            perm[i] = p == null ? rank - 1 - i : (int) p[i];
        }
        if (v instanceof Constant c) {
            g.put(n, new Constant(c.value().permute(perm).dup('c')));
            return;
        }
        Activation a = (Activation) v;
        if (perm[0] != 0) {
            throw n.refuse("moves the batch axis; only transposes that keep it first are supported");
        }
        // Logical axis i of the result is axis perm[i] of the input, stored where that one is.
        long[] shape = new long[rank];
        int[] stored = new int[rank];
        for (int i = 0; i < rank; i++) {
            shape[i] = a.shape()[perm[i]];
            stored[i] = a.physical(perm[i]);
        }
        g.put(n, new Activation(a.node(), shape, identity(stored) ? null : stored));
    }

    private static void slice(OnnxNode n, OnnxGraph g, long[] starts, long[] ends, long[] axes, long[] steps) throws IOException {
        Value v = g.input(n, 0);
        long[] s = v instanceof Activation a ? a.shape() : ((Constant) v).shape();
        long[] lo = new long[s.length];
        long[] hi = s.clone();
        for (int k = 0; k < starts.length; k++) {
            int d = axes == null ? k : (int) axis(axes[k], s.length);
            if (steps != null && steps[k] != 1) {
                throw n.refuse("slices with step " + steps[k] + "; only step 1 is supported");
            }
            lo[d] = clamp(starts[k], s[d]);
            hi[d] = Math.max(lo[d], clamp(ends[k], s[d]));
        }
        if (v instanceof Constant c) {
            INDArray out = c.value();
            for (int d = 0; d < s.length; d++) {
                out = slice(out, d, lo[d], hi[d]);
            }
            g.put(n, new Constant(out.dup('c')));
            return;
        }
        g.put(n, channelRange(n, g, (Activation) v, lo, hi));
    }

    /** The part of an activation within [lo, hi) on every axis, where only the channels may be cut. */
    private static Activation channelRange(OnnxNode n, OnnxGraph g, Activation a, long[] lo, long[] hi) {
        int channelAxis = -1;
        for (int d = 0; d < a.rank(); d++) {
            if (lo[d] != 0 || hi[d] != a.shape()[d]) {
                if (a.physical(d) != 1) {
                    throw n.refuse("slices axis " + d + "; only slicing the channels is supported");
                }
                channelAxis = d;
            }
        }
        if (channelAxis < 0) {
            return a;
        }
        long[] shape = a.shape().clone();
        shape[channelAxis] = hi[channelAxis] - lo[channelAxis];
        if (shape[channelAxis] == 0) {
            throw n.refuse("slices away every channel");
        }
        long[] picked = LongStream.range(lo[channelAxis], hi[channelAxis]).toArray();
        return g.add(Ops.channels(picked), shape, a);
    }

    private static void split(OnnxNode n, OnnxGraph g, long[] sizes) throws IOException {
        Value v = g.input(n, 0);
        long[] s = v instanceof Activation a ? a.shape() : ((Constant) v).shape();
        int axis = (int) axis(n.i("axis", 0), s.length);
        int parts = n.outputCount();
        if (sizes == null) {
            long each = (s[axis] + parts - 1) / parts;
            sizes = new long[parts];
            for (int k = 0; k < parts; k++) {
                sizes[k] = Math.min(each, s[axis] - k * each);
            }
        }
        long start = 0;
        for (int k = 0; k < parts; k++) {
            long[] lo = new long[s.length];
            long[] hi = s.clone();
            lo[axis] = start;
            hi[axis] = start + sizes[k];
            start += sizes[k];
            if (n.output(k).isEmpty()) {
                continue;
            }
            if (v instanceof Constant c) {
                g.put(n, k, new Constant(slice(c.value(), axis, lo[axis], hi[axis]).dup('c')));
            } else {
                g.put(n, k, channelRange(n, g, (Activation) v, lo, hi));
            }
        }
    }

    private static void cast(OnnxNode n, OnnxGraph g) throws IOException {
        Value v = g.input(n, 0);
        long to = n.i("to", Onnx.TensorProto.DataType.FLOAT_VALUE);
        boolean floating = to == Onnx.TensorProto.DataType.FLOAT_VALUE || to == Onnx.TensorProto.DataType.DOUBLE_VALUE
                || to == Onnx.TensorProto.DataType.FLOAT16_VALUE;
        if (v instanceof Constant c) {
            g.put(n, new Constant(c.value().castTo(floating ? DataType.FLOAT : DataType.LONG)));
        } else if (floating) {
            g.put(n, v);
        } else {
            throw n.refuse("casts an activation to " + Onnx.TensorProto.DataType.forNumber((int) to) + "; only float is supported");
        }
    }

    private static void constantOfShape(OnnxNode n, OnnxGraph g) throws IOException {
        long[] shape = g.constant(n, 0).longs();
        Onnx.TensorProto t = n.tensor("value");
        INDArray fill = t == null ? Nd4j.scalar(0f) : g.tensor(t);
        g.put(n, new Constant(Nd4j.valueArrayOf(shape, fill.getDouble(0), fill.dataType())));
    }

    /** Part of a constant along one axis. */
    static INDArray slice(INDArray a, int axis, long from, long to) {
        INDArrayIndex[] idx = new INDArrayIndex[a.rank()];
        Arrays.fill(idx, NDArrayIndex.all());
        idx[axis] = NDArrayIndex.interval(from, to);
        return a.get(idx);
    }

    /** An axis attribute in [0, rank) (negative counts from the end). */
    static long axis(long axis, int rank) {
        return axis < 0 ? axis + rank : axis;
    }

    private static long clamp(long index, long size) {
        long i = index < 0 ? index + size : index;
        return Math.max(0, Math.min(size, i));
    }

    static boolean identity(int[] perm) {
        for (int i = 0; i < perm.length; i++) {
            if (perm[i] != i) {
                return false;
            }
        }
        return true;
    }

    private static long countTrue(boolean[] b) {
        long c = 0;
        for (boolean x : b) {
            c += x ? 1 : 0;
        }
        return c;
    }

    private static List<INDArray> sameType(List<INDArray> parts) {
        boolean floating = parts.stream().anyMatch(p -> p.dataType().isFPType());
        return parts.stream().map(p -> p.castTo(floating ? DataType.FLOAT : DataType.LONG)).toList();
    }
}
