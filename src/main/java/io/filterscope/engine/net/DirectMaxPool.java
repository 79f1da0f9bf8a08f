package io.filterscope.engine.net;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.util.Arrays;
import java.util.Set;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A float 2-D max pooling without padding ([n, c, h, w] maps, any strides oneDNN takes; kernel and stride {rows,
 * columns}) as two oneDNN pooling primitives made once (oneDNN's "Pooling" primitive, algorithm {@code pooling_max}):
 * forward for training, which also writes each window's position of its maximum into a workspace, and backward, which
 * adds each output gradient at that position. libnd4j's maxpool2d_bp makes the forward primitive again and runs it again
 * at every call to get that workspace; here the step's own forward pass has written it. The same algorithm as libnd4j's,
 * so the same values bit for bit, ties included (the first maximum in a window's row-major order takes the gradient, as
 * in PyTorch's max_pool2d; {@code DirectMaxPoolTest}).
 * <p>
 * Where oneDNN's first choice of forward kernel is its AVX2 or AVX one, the forward pass takes its SSE4.1 kernel
 * instead ({@link #forwardPd}); the backward keeps oneDNN's choice, which reads the SSE4.1 kernel's workspace as its
 * own ({@code DirectMaxPoolTest} checks both passes against libnd4j's, whose forward is the AVX2 kernel). On the AVX2
 * machine of docs/performance.md ("Twenty-second session", an AMD EPYC) the SSE4.1 forward took a tenth to a half of
 * the AVX2 one's time at every pool of the bundled models and VGG16, stored channels last: LeNet's first pool at batch
 * 64 ([64, 32, 24, 24]) 0.3-0.5 ms against 2.2-2.5 ms in a step. The AVX2 kernel's time went to its SSE
 * instructions without a VEX encoding ({@code movq} from a general register, in every unrolled block of outputs) among
 * 256-bit AVX ones (perf); the SSE4.1 kernel has no AVX instructions. Not the backward: there the SSE4.1 kernel's masked
 * stores took 4 times as long as the AVX2 kernel, and oneDNN's faster C++ kernel for channels last ({@code
 * simple_nhwc}) gives other values: -0.0 for an output gradient of -0.0 where the AVX2 kernel adds it to zero (+0.0),
 * and other last bits where windows overlap (another order of sums).
 * <p>
 * {@link #backward} reads the workspace of the last {@link #forward}: call it after a forward pass of the same input.
 */
final class DirectMaxPool {
    private final OneDnnPrimitive forward;
    private final OneDnnPrimitive backward;
    private final long[][] strides;

    private DirectMaxPool(OneDnnPrimitive forward, OneDnnPrimitive backward, long[][] strides) {
        this.forward = forward;
        this.backward = backward;
        this.strides = strides;
    }

    /**
     * The pooling of {@code in} into {@code out}, and of output gradients laid out as {@code out} into {@code gradIn},
     * laid out as {@code in}; or null where oneDNN cannot be called directly ({@link OneDnn#available}) or the arrays
     * are not float.
     *
     * @throws IllegalStateException when oneDNN refuses the pooling
     */
    static DirectMaxPool of(INDArray in, INDArray out, INDArray gradIn, int[] kernel, int[] stride) {
        if (!OneDnn.available() || in.dataType() != DataType.FLOAT || out.dataType() != DataType.FLOAT
                || gradIn.dataType() != DataType.FLOAT || !Arrays.equals(in.stride(), gradIn.stride())) {
            return null;
        }
        Memory src = OneDnn.md(in.shape(), in.stride());
        Memory dst = OneDnn.md(out.shape(), out.stride());
        long[] padAfter = new long[2];
        for (int a = 0; a < 2; a++) {
            padAfter[a] = (out.size(2 + a) - 1) * stride[a] + kernel[a] - in.size(2 + a);
        }
        Memory strides = OneDnn.dims(new long[] {stride[0], stride[1]});
        Memory kernels = OneDnn.dims(new long[] {kernel[0], kernel[1]});
        Memory none = OneDnn.dims(new long[0]);
        Memory after = OneDnn.dims(padAfter);
        Memory forwardDesc = new Memory(OneDnn.OP_DESC_BYTES);
        OneDnn.call("dnnl_pooling_forward_desc_init", forwardDesc, OneDnn.FORWARD_TRAINING, OneDnn.POOLING_MAX, src, dst,
                strides, kernels, none, after);
        Memory backwardDesc = new Memory(OneDnn.OP_DESC_BYTES);
        OneDnn.call("dnnl_pooling_backward_desc_init", backwardDesc, OneDnn.POOLING_MAX, src, dst, strides, kernels, none, after);
        Pointer forwardPd = forwardPd(forwardDesc);
        try {
            Pointer backwardPd = OneDnn.primitiveDesc(backwardDesc, false, forwardPd);
            try {
                Pointer workspace = OneDnn.memory(OneDnn.pointer("dnnl_primitive_desc_query_md", forwardPd, OneDnn.QUERY_WORKSPACE_MD, 0),
                        OneDnn.ALLOCATE);
                OneDnnPrimitive f = new OneDnnPrimitive(OneDnn.primitive(forwardPd),
                        new int[] {OneDnn.ARG_SRC, OneDnn.ARG_DST, OneDnn.ARG_WORKSPACE, OneDnn.ARG_SCRATCHPAD},
                        new Pointer[] {OneDnn.memory(src, null), OneDnn.memory(dst, null)},
                        new Pointer[] {workspace, OneDnn.scratchpad(forwardPd)});
                OneDnnPrimitive b = new OneDnnPrimitive(OneDnn.primitive(backwardPd),
                        new int[] {OneDnn.ARG_DIFF_DST, OneDnn.ARG_DIFF_SRC, OneDnn.ARG_SCRATCHPAD, OneDnn.ARG_WORKSPACE},
                        new Pointer[] {OneDnn.memory(dst, null), OneDnn.memory(src, null)},
                        new Pointer[] {OneDnn.scratchpad(backwardPd)}, workspace);
                return new DirectMaxPool(f, b, new long[][] {in.stride(), out.stride()});
            } finally {
                OneDnn.call("dnnl_primitive_desc_destroy", backwardPd);
            }
        } finally {
            OneDnn.call("dnnl_primitive_desc_destroy", forwardPd);
        }
    }

    /** oneDNN's AVX2 and AVX pooling kernels, whose forward pass is slower than its SSE4.1 kernel (see the class comment). */
    private static final Set<String> VEX_KERNELS = Set.of("jit:avx2", "jit:avx");

    /**
     * The primitive descriptor of the forward pass {@code desc}: oneDNN's first choice, or its SSE4.1 kernel where that
     * is one of {@link #VEX_KERNELS}. Destroy it with dnnl_primitive_desc_destroy.
     */
    private static Pointer forwardPd(Pointer desc) {
        Pointer chosen = OneDnn.primitiveDesc(desc, false, null);
        if (!VEX_KERNELS.contains(OneDnn.implementation(chosen))) {
            return chosen;
        }
        Pointer sse = OneDnn.primitiveDesc(desc, null, "jit:sse41");
        if (sse == null) {
            return chosen;
        }
        OneDnn.call("dnnl_primitive_desc_destroy", chosen);
        return sse;
    }

    /** Pools {@code in} into {@code out}, arrays laid out as those given to {@link #of}, and keeps the maxima's places. */
    void forward(INDArray in, INDArray out) {
        forward.run(in, out);
    }

    /**
     * Writes the input gradient into {@code gradIn} for output gradient {@code gradOut}, at the maxima of the last
     * {@link #forward}. Returns false, computing nothing, when {@code gradOut} is laid out otherwise than the output.
     */
    boolean backward(INDArray gradOut, INDArray gradIn) {
        if (!Arrays.equals(gradOut.stride(), strides[1]) || gradOut.offset() != 0 || !Arrays.equals(gradIn.stride(), strides[0])) {
            return false;
        }
        backward.run(gradOut, gradIn);
        return true;
    }
}
