package io.filterscope.model.onnx;

/**
 * The sliding-window attributes shared by Conv, ConvTranspose and the pools: kernel, strides, dilations and
 * pads (ONNX order: top, left, bottom, right), with auto_pad resolved. SAME_UPPER is TensorFlow's "same"
 * (size independent); SAME_LOWER is resolved to explicit pads only where that does not depend on the image
 * size (stride 1).
 */
record Window(int[] kernel, int[] stride, int[] dilation, int[] pads, boolean same, boolean ceil) {

    static Window of(OnnxNode n, long[] kernelShape) {
        long[] k = n.ints("kernel_shape", kernelShape);
        if (k == null || k.length != 2) {
            throw n.refuse("only 2-D windows are supported (kernel " + (k == null ? "unknown" : java.util.Arrays.toString(k)) + ")");
        }
        int[] kernel = {(int) k[0], (int) k[1]};
        int[] stride = ints(n.ints("strides", new long[] {1, 1}));
        int[] dilation = ints(n.ints("dilations", new long[] {1, 1}));
        int[] pads = ints(n.ints("pads", new long[] {0, 0, 0, 0}));
        if (stride.length != 2 || dilation.length != 2 || pads.length != 4) {
            throw n.refuse("only 2-D windows are supported");
        }
        boolean same = false;
        switch (n.s("auto_pad", "NOTSET")) {
            case "NOTSET" -> {
            }
            case "VALID" -> pads = new int[4];
            case "SAME_UPPER" -> same = true;
            case "SAME_LOWER" -> {
                if (stride[0] != 1 || stride[1] != 1) {
                    throw n.refuse("auto_pad SAME_LOWER with stride " + stride[0] + "x" + stride[1]
                            + " pads by an amount that depends on the image size; only stride 1 is supported");
                }
                int th = dilation[0] * (kernel[0] - 1);
                int tw = dilation[1] * (kernel[1] - 1);
                pads = new int[] {(th + 1) / 2, (tw + 1) / 2, th / 2, tw / 2};
            }
            default -> throw n.refuse("unknown auto_pad " + n.s("auto_pad", ""));
        }
        return new Window(kernel, stride, dilation, pads, same, n.i("ceil_mode", 0) == 1);
    }

    boolean symmetric() {
        return pads[0] == pads[2] && pads[1] == pads[3];
    }

    boolean padded() {
        return pads[0] != 0 || pads[1] != 0 || pads[2] != 0 || pads[3] != 0;
    }

    /** Output length along spatial axis a (0 rows, 1 columns) for an input of {@code size}. */
    long output(long size, int a) {
        if (same) {
            return (size + stride[a] - 1) / stride[a];
        }
        long span = size + pads[a] + pads[a + 2] - ((long) dilation[a] * (kernel[a] - 1) + 1);
        long n = (ceil ? (span + stride[a] - 1) / stride[a] : Math.floorDiv(span, stride[a])) + 1;
        if (ceil && (n - 1) * stride[a] >= size + pads[a]) {
            // As PyTorch: the last window must start inside the image or its leading padding.
            n--;
        }
        return n;
    }

    /** [batch, channels, rows, columns] of the output for an NCHW input. */
    long[] outputShape(long[] in, long channels, OnnxNode n) {
        long h = output(in[2], 0);
        long w = output(in[3], 1);
        if (h <= 0 || w <= 0) {
            throw n.refuse("its window does not fit a " + in[2] + "x" + in[3] + " input");
        }
        return new long[] {in[0], channels, h, w};
    }

    private static int[] ints(long[] v) {
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (int) v[i];
        }
        return out;
    }
}
