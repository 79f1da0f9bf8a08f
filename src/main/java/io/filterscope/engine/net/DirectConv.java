package io.filterscope.engine.net;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.lang.ref.Cleaner;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One float 2-D convolution (NCHW dimensions, any strides; weights [out, in, kh, kw]; optional bias [out]) as a oneDNN
 * primitive made once, whose weights are reordered once into the layout it chose, instead of libnd4j's conv2d, which at
 * every call builds the primitive descriptor again (brgemm blocking, a primitive cache look-up) and reorders the
 * weights (9.4 MB for a 512 x 512 3x3 layer). The same primitive as libnd4j's (forward inference, direct algorithm,
 * oneDNN's choice of weight layout, the arrays' own strides for the maps), so the same kernel and the same values bit
 * for bit ({@code DirectConvTest}). The weights are read once, at {@link #of}: callers must not change them afterwards.
 *
 * <p>The primitive runs with a scratchpad of its own (oneDNN's user scratchpad mode), not oneDNN's global per-thread
 * one, so any thread may run it (one at a time). Its native objects are freed when it becomes unreachable.
 */
final class DirectConv {
    private static final Cleaner CLEANER = Cleaner.create();
    /** dnnl_query_scratchpad_md. */
    private static final int QUERY_SCRATCHPAD_MD = 136;
    /** DNNL_ARG_SCRATCHPAD. */
    private static final int ARG_SCRATCHPAD = 80;
    /** dnnl_scratchpad_mode_user. */
    private static final int SCRATCHPAD_USER = 1;
    /** DNNL_MEMORY_ALLOCATE: oneDNN allocates the memory object's buffer. */
    private static final Pointer ALLOCATE = new Pointer(-1);

    private final Natives natives;
    private final long[] srcStrides;
    private final long[] dstStrides;
    private final long[] srcShape;
    private final long[] dstShape;
    private long srcAddress;
    private long dstAddress;

    private DirectConv(Natives natives, INDArray src, INDArray dst) {
        this.natives = natives;
        this.srcStrides = src.stride();
        this.dstStrides = dst.stride();
        this.srcShape = src.shape();
        this.dstShape = dst.shape();
        this.srcAddress = address(src);
        this.dstAddress = address(dst);
        CLEANER.register(this, natives);
    }

    /**
     * The convolution of {@code src} into {@code dst} by {@code weights} (and {@code bias}, or null), with strides
     * {@code stride} and zero padding {@code pad} before each spatial axis (the padding after follows from the
     * shapes); or null where oneDNN cannot be called directly ({@link OneDnn#available}) or the arrays are not float.
     *
     * @throws IllegalStateException when oneDNN refuses the convolution
     */
    static DirectConv of(INDArray src, INDArray weights, INDArray bias, INDArray dst, int[] stride, int[] pad) {
        if (!OneDnn.available() || src.dataType() != DataType.FLOAT || weights.dataType() != DataType.FLOAT
                || dst.dataType() != DataType.FLOAT || bias != null && bias.dataType() != DataType.FLOAT) {
            return null;
        }
        Natives n = new Natives();
        try {
            Pointer engine = OneDnn.engine();
            Memory srcMd = md(src.shape(), src.stride());
            Memory dstMd = md(dst.shape(), dst.stride());
            Memory userWeightsMd = md(weights.shape(), weights.stride());
            Memory anyWeightsMd = any(weights.shape());
            Memory biasMd = bias == null ? null : md(new long[] {bias.length()}, new long[] {bias.elementWiseStride()});
            long[] padAfter = new long[2];
            for (int a = 0; a < 2; a++) {
                padAfter[a] = (dst.size(2 + a) - 1) * stride[a] - src.size(2 + a) + weights.size(2 + a) - pad[a];
            }
            Memory desc = new Memory(OneDnn.CONV_DESC_BYTES);
            OneDnn.call("dnnl_convolution_forward_desc_init", desc, OneDnn.FORWARD_INFERENCE, OneDnn.CONVOLUTION_DIRECT,
                    any(src.shape()), anyWeightsMd, biasMd, any(dst.shape()), dims(new long[] {stride[0], stride[1]}),
                    dims(new long[] {pad[0], pad[1]}), dims(padAfter));
            Memory handle = new Memory(Native.POINTER_SIZE);
            OneDnn.call("dnnl_primitive_attr_create", handle);
            Pointer attr = handle.getPointer(0);
            try {
                OneDnn.call("dnnl_primitive_attr_set_scratchpad_mode", attr, SCRATCHPAD_USER);
                OneDnn.call("dnnl_primitive_desc_create", handle, desc, attr, engine, null);
            } finally {
                OneDnn.call("dnnl_primitive_attr_destroy", attr);
            }
            Pointer pd = handle.getPointer(0);
            try {
                // libnd4j lets the primitive choose the maps' layouts too and reorders the maps where they differ: only
                // maps already in the chosen layout are convolved here, so that the kernel is libnd4j's.
                if (!same(pd, OneDnn.QUERY_SRC_MD, srcMd) || !same(pd, OneDnn.QUERY_DST_MD, dstMd)) {
                    return null;
                }
                Pointer weightsMd = OneDnn.pointer("dnnl_primitive_desc_query_md", pd, OneDnn.QUERY_WEIGHTS_MD, 0);
                n.weights = memory(weightsMd, ALLOCATE);
                reorder(userWeightsMd, address(weights), weightsMd, n.weights);
                Pointer scratchMd = OneDnn.pointer("dnnl_primitive_desc_query_md", pd, QUERY_SCRATCHPAD_MD, 0);
                if (scratchMd != null && OneDnn.size("dnnl_memory_desc_get_size", scratchMd) > 0) {
                    n.scratchpad = memory(scratchMd, ALLOCATE);
                }
                OneDnn.call("dnnl_primitive_create", handle, pd);
                n.primitive = handle.getPointer(0);
            } finally {
                OneDnn.call("dnnl_primitive_desc_destroy", pd);
            }
            n.src = memory(srcMd, new Pointer(address(src)));
            n.dst = memory(dstMd, new Pointer(address(dst)));
            n.bias = bias == null ? null : memory(biasMd, new Pointer(address(bias)));
            OneDnn.call("dnnl_stream_create", handle, engine, 1 /* dnnl_stream_in_order */);
            n.stream = handle.getPointer(0);
            n.args = args(new int[] {OneDnn.ARG_SRC, OneDnn.ARG_WEIGHTS, OneDnn.ARG_DST, OneDnn.ARG_BIAS, ARG_SCRATCHPAD},
                    new Pointer[] {n.src, n.weights, n.dst, n.bias, n.scratchpad});
            return new DirectConv(n, src, dst);
        } catch (RuntimeException e) {
            n.run();
            throw e;
        }
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
        long s = address(src);
        if (s != srcAddress) {
            OneDnn.call("dnnl_memory_set_data_handle", natives.src, new Pointer(s));
            srcAddress = s;
        }
        long d = address(dst);
        if (d != dstAddress) {
            OneDnn.call("dnnl_memory_set_data_handle", natives.dst, new Pointer(d));
            dstAddress = d;
        }
        OneDnn.call("dnnl_primitive_execute", natives.primitive, natives.stream, natives.argCount(), natives.args);
        OneDnn.call("dnnl_stream_wait", natives.stream);
        return true;
    }

    /** The address of an array's first value. */
    private static long address(INDArray a) {
        return a.data().addressPointer().address() + a.offset() * a.data().getElementSize();
    }

    /** A memory descriptor of float values with these dimensions and strides (in values). */
    private static Memory md(long[] shape, long[] strides) {
        Memory md = new Memory(OneDnn.MEMORY_DESC_BYTES);
        OneDnn.call("dnnl_memory_desc_init_by_strides", md, shape.length, dims(shape), OneDnn.F32, dims(strides));
        return md;
    }

    /** A memory descriptor of float values with these dimensions, in the layout a primitive chooses. */
    private static Memory any(long[] shape) {
        Memory md = new Memory(OneDnn.MEMORY_DESC_BYTES);
        OneDnn.call("dnnl_memory_desc_init_by_tag", md, shape.length, dims(shape), OneDnn.F32, OneDnn.FORMAT_ANY);
        return md;
    }

    /** Whether primitive descriptor {@code pd}'s memory {@code what} is laid out as {@code md}. */
    private static boolean same(Pointer pd, int what, Pointer md) {
        return OneDnn.integer("dnnl_memory_desc_equal", OneDnn.pointer("dnnl_primitive_desc_query_md", pd, what, 0), md) == 1;
    }

    /** A dnnl_dims_t (12 int64) holding {@code values} first. */
    private static Memory dims(long[] values) {
        Memory m = new Memory(12 * 8);
        m.clear();
        for (int i = 0; i < values.length; i++) {
            m.setLong(8L * i, values[i]);
        }
        return m;
    }

    private static Pointer memory(Pointer md, Pointer buffer) {
        Memory handle = new Memory(Native.POINTER_SIZE);
        OneDnn.call("dnnl_memory_create", handle, md, OneDnn.engine(), buffer);
        return handle.getPointer(0);
    }

    /** Copies the values at {@code from} (laid out as {@code fromMd}) into memory {@code to} (laid out as {@code toMd}). */
    private static void reorder(Pointer fromMd, long from, Pointer toMd, Pointer to) {
        Pointer source = memory(fromMd, new Pointer(from));
        Memory handle = new Memory(Native.POINTER_SIZE);
        Pointer pd = null;
        Pointer primitive = null;
        Pointer stream = null;
        try {
            Pointer engine = OneDnn.engine();
            OneDnn.call("dnnl_reorder_primitive_desc_create", handle, fromMd, engine, toMd, engine, null);
            pd = handle.getPointer(0);
            OneDnn.call("dnnl_primitive_create", handle, pd);
            primitive = handle.getPointer(0);
            OneDnn.call("dnnl_stream_create", handle, engine, 1);
            stream = handle.getPointer(0);
            Memory args = args(new int[] {OneDnn.ARG_SRC, OneDnn.ARG_DST}, new Pointer[] {source, to});
            OneDnn.call("dnnl_primitive_execute", primitive, stream, 2, args);
            OneDnn.call("dnnl_stream_wait", stream);
        } finally {
            if (stream != null) {
                OneDnn.call("dnnl_stream_destroy", stream);
            }
            if (primitive != null) {
                OneDnn.call("dnnl_primitive_destroy", primitive);
            }
            if (pd != null) {
                OneDnn.call("dnnl_primitive_desc_destroy", pd);
            }
            OneDnn.call("dnnl_memory_destroy", source);
        }
    }

    /** An array of dnnl_exec_arg_t {int arg; dnnl_memory_t memory} for the non-null memories. */
    private static Memory args(int[] kinds, Pointer[] memories) {
        int count = (int) Arrays.stream(memories).filter(java.util.Objects::nonNull).count();
        Memory args = new Memory(16L * count);
        int i = 0;
        for (int k = 0; k < kinds.length; k++) {
            if (memories[k] != null) {
                args.setInt(16L * i, kinds[k]);
                args.setPointer(16L * i + 8, memories[k]);
                i++;
            }
        }
        return args;
    }

    /** The native objects, destroyed together once the convolution is unreachable (never reaching back to it). */
    private static final class Natives implements Runnable {
        Pointer primitive;
        Pointer stream;
        Pointer src;
        Pointer dst;
        Pointer weights;
        Pointer bias;
        Pointer scratchpad;
        Memory args;

        int argCount() {
            return (int) (args.size() / 16);
        }

        @Override
        public void run() {
            for (Pointer m : new Pointer[] {src, dst, weights, bias, scratchpad}) {
                if (m != null) {
                    OneDnn.call("dnnl_memory_destroy", m);
                }
            }
            if (primitive != null) {
                OneDnn.call("dnnl_primitive_destroy", primitive);
            }
            if (stream != null) {
                OneDnn.call("dnnl_stream_destroy", stream);
            }
            src = dst = weights = bias = scratchpad = primitive = stream = null;
        }
    }
}
