package io.filterscope.engine.net;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A float ReLU's backward pass as a oneDNN eltwise primitive made once ({@link OneDnn}; oneDNN's "Eltwise" primitive,
 * algorithm {@code eltwise_relu_use_dst_for_bwd} with alpha 0): {@code dx = dy * (y > 0 ? 1 : 0)} from the output
 * {@code y = max(x, 0)}. One native call where libnd4j takes two ops (sign, then product), each with its own per-call
 * cost; the same values bit for bit (a product by 1 or by 0 either way, -0 where dy is negative and y is 0; {@code
 * ReluFusionTest}). Arrays of any shape, all of them stored alike and densely (plain C order or {@link ChannelsLast
 * channels last}): the primitive sees them as one run of values.
 */
final class DirectRelu {
    private final OneDnnPrimitive primitive;
    private final long[] shape;
    private final long[] strides;

    private DirectRelu(OneDnnPrimitive primitive, INDArray like) {
        this.primitive = primitive;
        this.shape = like.shape();
        this.strides = like.stride();
    }

    /**
     * The backward pass of the ReLU whose output is {@code out}, writing the input's gradient into arrays laid out as
     * {@code gradIn}; or null where oneDNN cannot be called directly ({@link OneDnn#available}), the arrays are not
     * float, or not dense and alike.
     *
     * @throws IllegalStateException when oneDNN refuses the primitive
     */
    static DirectRelu backward(INDArray out, INDArray gradIn) {
        if (!OneDnn.available() || !alike(out, gradIn) || out.dataType() != DataType.FLOAT || gradIn.dataType() != DataType.FLOAT) {
            return null;
        }
        Memory md = OneDnn.md(new long[] {out.length()}, new long[] {1});
        Memory forward = new Memory(OneDnn.OP_DESC_BYTES);
        OneDnn.call("dnnl_eltwise_forward_desc_init", forward, OneDnn.FORWARD_TRAINING, OneDnn.ELTWISE_RELU_USE_DST, md, 0f, 0f);
        Pointer hint = OneDnn.primitiveDesc(forward, false, null);
        try {
            Memory backward = new Memory(OneDnn.OP_DESC_BYTES);
            OneDnn.call("dnnl_eltwise_backward_desc_init", backward, OneDnn.ELTWISE_RELU_USE_DST, md, md, 0f, 0f);
            Pointer pd = OneDnn.primitiveDesc(backward, false, hint);
            try {
                Pointer[] passed = {OneDnn.memory(md, null), OneDnn.memory(md, null), OneDnn.memory(md, null)};
                int[] kinds = {OneDnn.ARG_DST, OneDnn.ARG_DIFF_DST, OneDnn.ARG_DIFF_SRC, OneDnn.ARG_SCRATCHPAD};
                return new DirectRelu(new OneDnnPrimitive(OneDnn.primitive(pd), kinds, passed, new Pointer[] {OneDnn.scratchpad(pd)}),
                        out);
            } finally {
                OneDnn.call("dnnl_primitive_desc_destroy", pd);
            }
        } finally {
            OneDnn.call("dnnl_primitive_desc_destroy", hint);
        }
    }

    /**
     * {@code gradIn = gradOut * (out > 0)}, for arrays of the shape and layout given to {@link #backward} (their buffers
     * may differ). Returns false, computing nothing, when one is laid out otherwise (an output gradient stored plain where
     * the maps are stored channels last, say).
     */
    boolean run(INDArray out, INDArray gradOut, INDArray gradIn) {
        for (INDArray a : new INDArray[] {out, gradOut, gradIn}) {
            if (!Arrays.equals(a.shape(), shape) || !Arrays.equals(a.stride(), strides) || a.offset() != 0) {
                return false;
            }
        }
        primitive.run(out, gradOut, gradIn);
        return true;
    }

    /** Whether {@code a} and {@code b} have one shape and one dense layout (C order or channels last), from offset 0. */
    private static boolean alike(INDArray a, INDArray b) {
        boolean dense = ChannelsLast.is(a) || a.offset() == 0 && Arrays.equals(a.stride(), Nd4j.getStrides(a.shape(), 'c'));
        return dense && Arrays.equals(a.shape(), b.shape()) && Arrays.equals(a.stride(), b.stride()) && b.offset() == 0;
    }
}
