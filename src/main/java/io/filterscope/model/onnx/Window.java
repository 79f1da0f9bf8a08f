package io.filterscope.model.onnx;

import io.filterscope.engine.net.Padding;

/**
 * The sliding-window attributes shared by Conv, ConvTranspose and the pools: kernel, strides, dilations and
 * pads (ONNX order: top, left, bottom, right), or auto_pad's SAME_UPPER / SAME_LOWER, which the engine's
 * {@link Padding} resolves for each input size.
 */
record Window(int[] kernel, int[] stride, int[] dilation, int[] pads, Padding padding, boolean same, boolean ceil) {

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
        for (int p : pads) {
            if (p < 0) {
                throw n.refuse("negative pads are not supported");
            }
        }
        Padding padding = switch (n.s("auto_pad", "NOTSET")) {
            case "NOTSET" -> Padding.explicit(pads[0], pads[2], pads[1], pads[3]);
            case "VALID" -> {
                pads = new int[4];
                yield Padding.valid();
            }
            case "SAME_UPPER" -> Padding.same();
            case "SAME_LOWER" -> Padding.sameLower();
            default -> throw n.refuse("unknown auto_pad " + n.s("auto_pad", ""));
        };
        boolean same = n.s("auto_pad", "NOTSET").startsWith("SAME");
        return new Window(kernel, stride, dilation, pads, padding, same, n.i("ceil_mode", 0) == 1);
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
