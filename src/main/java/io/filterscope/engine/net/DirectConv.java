package io.filterscope.engine.net;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One float 2-D convolution (NCHW dimensions, any strides; weights [out, in, kh, kw]; optional bias [out]) as a oneDNN
 * primitive made once, whose weights are reordered once into the layout it chose, instead of libnd4j's conv2d, which at
 * every call builds the primitive descriptor again (brgemm blocking, a primitive cache look-up) and reorders the
 * weights (9.4 MB for a 512 x 512 3x3 layer). The same primitive as libnd4j's (forward inference, direct algorithm,
 * oneDNN's choice of weight layout, the arrays' own strides for the maps), so the same kernel and the same values bit
 * for bit ({@code DirectConvTest}). Where oneDNN chooses a blocked layout for maps stored channels last (AVX2
 * processors), the maps are copied into it and back by reorder primitives also made once. The weights are read once,
 * at {@link #of}: callers must not change them afterwards.
 * Made {@code rectified}, it writes {@code max(conv, 0)}: a ReLU as the primitive's eltwise post-op (oneDNN's "Primitive
 * Attributes: Post-ops"), applied to each value as it is stored, the same values as libnd4j's relu after it.
 *
 * <p>The primitive runs with a scratchpad of its own (oneDNN's user scratchpad mode), not oneDNN's global per-thread
 * one, so any thread may run it (one at a time). Its native objects are freed when it becomes unreachable.
 */
final class DirectConv {
    private final OneDnnPrimitive primitive;
    /** Copies of the maps into and out of the layout the primitive chose, or null where it reads and writes them as they lie. */
    private final OneDnnPrimitive copyIn;
    private final OneDnnPrimitive copyOut;
    private final long[] srcStrides;
    private final long[] dstStrides;
    private final long[] srcShape;
    private final long[] dstShape;

    private DirectConv(OneDnnPrimitive primitive, OneDnnPrimitive copyIn, OneDnnPrimitive copyOut, INDArray src, INDArray dst) {
        this.primitive = primitive;
        this.copyIn = copyIn;
        this.copyOut = copyOut;
        this.srcStrides = src.stride();
        this.dstStrides = dst.stride();
        this.srcShape = src.shape();
        this.dstShape = dst.shape();
    }

    /**
     * The convolution of {@code src} into {@code dst} by {@code weights} (and {@code bias}, or null), with strides
     * {@code stride} and zero padding {@code pad} before each spatial axis (the padding after follows from the
     * shapes), followed by a ReLU when {@code rectified}; or null where oneDNN cannot be called directly ({@link
     * OneDnn#available}), the arrays are not float, or the primitive would want plain maps in another layout.
     *
     * @throws IllegalStateException when oneDNN refuses the convolution
     */
    static DirectConv of(INDArray src, INDArray weights, INDArray bias, INDArray dst, int[] stride, int[] pad, boolean rectified) {
        if (!OneDnn.available() || src.dataType() != DataType.FLOAT || weights.dataType() != DataType.FLOAT
                || dst.dataType() != DataType.FLOAT || bias != null && bias.dataType() != DataType.FLOAT) {
            return null;
        }
        Memory srcMd = OneDnn.md(src.shape(), src.stride());
        Memory dstMd = OneDnn.md(dst.shape(), dst.stride());
        Memory userWeightsMd = OneDnn.md(weights.shape(), weights.stride());
        Memory biasMd = bias == null ? null : OneDnn.md(new long[] {bias.length()}, new long[] {bias.elementWiseStride()});
        long[] padAfter = new long[2];
        for (int a = 0; a < 2; a++) {
            padAfter[a] = (dst.size(2 + a) - 1) * stride[a] - src.size(2 + a) + weights.size(2 + a) - pad[a];
        }
        Memory desc = new Memory(OneDnn.OP_DESC_BYTES);
        OneDnn.call("dnnl_convolution_forward_desc_init", desc, OneDnn.FORWARD_INFERENCE, OneDnn.CONVOLUTION_DIRECT,
                OneDnn.any(src.shape()), OneDnn.any(weights.shape()), biasMd, OneDnn.any(dst.shape()),
                OneDnn.dims(new long[] {stride[0], stride[1]}), OneDnn.dims(new long[] {pad[0], pad[1]}), OneDnn.dims(padAfter));
        Pointer pd = OneDnn.primitiveDesc(desc, rectified, null);
        Pointer[] held = new Pointer[5];
        try {
            boolean asTheyLie = same(pd, OneDnn.QUERY_SRC_MD, srcMd) && same(pd, OneDnn.QUERY_DST_MD, dstMd);
            // libnd4j lets the primitive choose the maps' layouts too and reorders the maps where they differ: plain
            // maps are convolved here only in the chosen layout.
            if (!asTheyLie && !((ChannelsLast.is(src) || dense(src) && src.size(1) == 1) && ChannelsLast.is(dst))) {
                return null;
            }
            Pointer weightsMd = OneDnn.pointer("dnnl_primitive_desc_query_md", pd, OneDnn.QUERY_WEIGHTS_MD, 0);
            held[0] = OneDnn.memory(weightsMd, OneDnn.ALLOCATE);
            reorder(userWeightsMd, OneDnnPrimitive.address(weights), weightsMd, held[0]);
            held[1] = bias == null ? null : OneDnn.memory(biasMd, new Pointer(OneDnnPrimitive.address(bias)));
            held[2] = OneDnn.scratchpad(pd);
            int[] kinds = {OneDnn.ARG_SRC, OneDnn.ARG_DST, OneDnn.ARG_WEIGHTS, OneDnn.ARG_BIAS, OneDnn.ARG_SCRATCHPAD};
            if (asTheyLie) {
                Pointer[] passed = {OneDnn.memory(srcMd, null), OneDnn.memory(dstMd, null)};
                return new DirectConv(new OneDnnPrimitive(OneDnn.primitive(pd), kinds, passed, Arrays.copyOf(held, 3)), null, null, src, dst);
            }
            // oneDNN chose a blocked layout for maps stored channels last (nChw8c: AVX2 processors; AVX-512 ones choose
            // channels last). libnd4j would copy the maps into it and back at every call, making those copies and the
            // primitive anew and reordering the weights each time (27 reorders, 13 ms of a 72-ms LeNet batch-64 step).
            // Here the copies are primitives made once. Asked for the maps' own layout instead, oneDNN's AVX2 kernels
            // were slower than the copies and the blocked kernel together (VGG16's 64- and 128-channel layers: 1.5x).
            Pointer chosenSrc = OneDnn.pointer("dnnl_primitive_desc_query_md", pd, OneDnn.QUERY_SRC_MD, 0);
            Pointer chosenDst = OneDnn.pointer("dnnl_primitive_desc_query_md", pd, OneDnn.QUERY_DST_MD, 0);
            held[3] = OneDnn.memory(chosenSrc, OneDnn.ALLOCATE);
            held[4] = OneDnn.memory(chosenDst, OneDnn.ALLOCATE);
            Pointer copyIn = reorderPrimitive(srcMd, chosenSrc);
            Pointer copyOut = reorderPrimitive(chosenDst, dstMd);
            int[] copyKinds = {OneDnn.ARG_SRC, OneDnn.ARG_DST};
            return new DirectConv(
                    new OneDnnPrimitive(OneDnn.primitive(pd), new int[] {OneDnn.ARG_WEIGHTS, OneDnn.ARG_BIAS, OneDnn.ARG_SCRATCHPAD,
                            OneDnn.ARG_SRC, OneDnn.ARG_DST}, new Pointer[0], held),
                    new OneDnnPrimitive(copyIn, copyKinds, new Pointer[] {OneDnn.memory(srcMd, null)}, new Pointer[0], held[3]),
                    new OneDnnPrimitive(copyOut, new int[] {OneDnn.ARG_DST, OneDnn.ARG_SRC}, new Pointer[] {OneDnn.memory(dstMd, null)},
                            new Pointer[0], held[4]),
                    src, dst);
        } catch (RuntimeException e) {
            for (Pointer m : held) {
                if (m != null) {
                    OneDnn.call("dnnl_memory_destroy", m);
                }
            }
            throw e;
        } finally {
            OneDnn.call("dnnl_primitive_desc_destroy", pd);
        }
    }

    /** A reorder primitive from layout {@code fromMd} to {@code toMd}. */
    private static Pointer reorderPrimitive(Pointer fromMd, Pointer toMd) {
        Memory handle = new Memory(Native.POINTER_SIZE);
        Pointer engine = OneDnn.engine();
        OneDnn.call("dnnl_reorder_primitive_desc_create", handle, fromMd, engine, toMd, engine, null);
        Pointer pd = handle.getPointer(0);
        try {
            return OneDnn.primitive(pd);
        } finally {
            OneDnn.call("dnnl_primitive_desc_destroy", pd);
        }
    }

    /** Whether {@code a} is a whole plain [n, c, h, w] array (c order, no offset). */
    private static boolean dense(INDArray a) {
        return a.rank() == 4 && a.offset() == 0 && a.stride(3) == 1 && a.stride(2) == a.size(3) && a.stride(1) == a.size(2) * a.size(3)
                && a.stride(0) == a.size(1) * a.size(2) * a.size(3);
    }

    /**
     * Convolves {@code src} into {@code dst}, arrays of the shapes and strides given to {@link #of} (their buffers may
     * differ). Returns false, computing nothing, when their shapes or strides differ.
     */
    boolean run(INDArray src, INDArray dst) {
        if (!Arrays.equals(src.stride(), srcStrides) || !Arrays.equals(dst.stride(), dstStrides)
                || !Arrays.equals(src.shape(), srcShape) || !Arrays.equals(dst.shape(), dstShape)) {
            return false;
        }
        if (copyIn == null) {
            primitive.run(src, dst);
        } else {
            copyIn.run(src);
            primitive.run();
            copyOut.run(dst);
        }
        return true;
    }

    /** Whether primitive descriptor {@code pd}'s memory {@code what} is laid out as {@code md}. */
    static boolean same(Pointer pd, int what, Pointer md) {
        return OneDnn.integer("dnnl_memory_desc_equal", OneDnn.pointer("dnnl_primitive_desc_query_md", pd, what, 0), md) == 1;
    }

    /** Copies the values at {@code from} (laid out as {@code fromMd}) into memory {@code to} (laid out as {@code toMd}). */
    private static void reorder(Pointer fromMd, long from, Pointer toMd, Pointer to) {
        Pointer source = OneDnn.memory(fromMd, new Pointer(from));
        Pointer primitive = null;
        Pointer stream = null;
        try {
            primitive = reorderPrimitive(fromMd, toMd);
            stream = OneDnn.stream();
            Memory args = OneDnn.args(new int[] {OneDnn.ARG_SRC, OneDnn.ARG_DST}, new Pointer[] {source, to});
            OneDnn.call("dnnl_primitive_execute", primitive, stream, 2, args);
            OneDnn.call("dnnl_stream_wait", stream);
        } finally {
            if (stream != null) {
                OneDnn.call("dnnl_stream_destroy", stream);
            }
            if (primitive != null) {
                OneDnn.call("dnnl_primitive_destroy", primitive);
            }
            OneDnn.call("dnnl_memory_destroy", source);
        }
    }
}
