package io.filterscope.model;

import io.filterscope.IndexRange;
import io.filterscope.UserError;
import io.filterscope.engine.attribution.Attribution;
import io.filterscope.engine.attribution.GradCam;
import io.filterscope.engine.attribution.Predictions;
import io.filterscope.engine.attribution.Saliency;
import io.filterscope.engine.attribution.SmoothGrad;
import io.filterscope.engine.net.LayerInfo;
import io.filterscope.engine.net.Network;
import io.filterscope.image.ImageInput;
import io.filterscope.image.Tiles;
import java.awt.AlphaComposite;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One image explained by a classifier: what it predicts (top 5) and which pixels one class's score rests on,
 * by one of the methods of {@link io.filterscope.engine.attribution}. The server's attribution endpoint and
 * the {@code attribution} command both answer with this.
 */
public final class AttributionMaps {
    /** How many predictions an answer lists. */
    public static final int TOP = 5;
    /** SmoothGrad's noisy copies and noise level (a share of the input's range), within the paper's advice. */
    static final int SMOOTHGRAD_SAMPLES = 24;
    static final double SMOOTHGRAD_NOISE = 0.15;
    /** The overlay is drawn at least this many pixels high, so a 28 px input is still visible. */
    static final int OVERLAY_MIN_SIDE = 224;

    /** The methods, by the names the API and the command line use. */
    public enum Method {
        GRADCAM, SALIENCY, SMOOTHGRAD;

        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** @throws UserError naming the methods, for any other name */
        public static Method parse(String name) {
            for (Method m : values()) {
                if (m.wire().equals(name)) {
                    return m;
                }
            }
            throw new UserError("unknown attribution method '" + name + "'; methods: gradcam, saliency, smoothgrad");
        }
    }

    /**
     * @param layer       the layer Grad-CAM read (null for the gradient methods)
     * @param predictions the {@link #TOP} most probable classes
     * @param map         [height][width] at the model's input size, in [0, 1]
     * @param input       the image as the model receives it (resized, grey or colour), 0-255 RGB
     */
    public record Result(Method method, int cls, String layer, List<Predictions.Prediction> predictions, float[][] map,
                         BufferedImage input) {

        /** The map coloured with viridis on the fixed [0, 1] scale, at the input's size. */
        public BufferedImage heatmap() {
            int h = map.length;
            int w = map[0].length;
            float[] flat = new float[h * w];
            for (int y = 0; y < h; y++) {
                System.arraycopy(map[y], 0, flat, y * w, w);
            }
            return Tiles.colourMappedUnit(flat, w, h);
        }

        /** The overlay's opacity where nobody chose one: the command line's default and the API's ready-made overlay. */
        public static final double DEFAULT_OPACITY = 0.5;

        /** The input with the heatmap over it at {@code opacity} (0-1), upscaled to at least {@value #OVERLAY_MIN_SIDE} px high. */
        public BufferedImage overlay(double opacity) {
            int scale = Math.max(1, (int) Math.ceil((double) OVERLAY_MIN_SIDE / input.getHeight()));
            int w = input.getWidth() * scale;
            int h = input.getHeight() * scale;
            BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = out.createGraphics();
            // The pixels the model sees stay crisp; the map, coarser in meaning, is smoothed.
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR);
            g.drawImage(input, 0, 0, w, h, null);
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.setComposite(AlphaComposite.getInstance(AlphaComposite.SRC_OVER, (float) opacity));
            g.drawImage(heatmap(), 0, 0, w, h, null);
            g.dispose();
            return out;
        }
    }

    private AttributionMaps() {
    }

    /**
     * Runs the picture (resized to the model's input) through the model and explains one class.
     *
     * @param cls   the class to explain, as the user wrote it (a whole number from 0, digits of any length); null for the top prediction
     * @param layer Grad-CAM's layer; null for the output of the last convolution block ({@link #lastConvolutionBlock}; the
     *              gradient methods take none)
     * @throws UserError for a model without a class output, an unknown or dense layer, a layer given to a gradient
     *                   method, a class out of range
     */
    public static Result explain(LoadedModel model, BufferedImage picture, Method method, String cls, String layer) {
        LayerInfo output = model.layers().get(model.layers().size() - 1);
        if (output.spatial()) {
            throw new UserError("model " + model.id() + " has no class output (its last layer " + output.name()
                    + " has feature maps), so there is nothing to explain");
        }
        boolean named = layer != null && !layer.isBlank();
        if (named && method != Method.GRADCAM) {
            throw new UserError(method.wire() + " reads no layer: the layer is Grad-CAM's alone; leave it out");
        }
        String camLayer = null;
        if (method == Method.GRADCAM) {
            camLayer = named ? model.layer(layer).name() : lastConvolutionBlock(model);
            String refusal = GradCam.refusal(model.layer(camLayer));
            if (refusal != null) {
                throw new UserError(refusal);
            }
        }
        float[] planes = ImageInput.toPlanes(picture, model.channels(), model.width(), model.height());
        INDArray image = model.inputSpace().toInput(
                Nd4j.create(planes, new long[] {1, model.channels(), model.height(), model.width()}));
        Network net = model.cached(1, model.height());
        net.input().assign(image);
        net.forward(List.of(output.name()));
        float[] logits = net.output(output.name()).dup().data().asFloat();
        int explained = cls != null ? new IndexRange("class", "model " + model.id(), logits.length).check(cls)
                : Predictions.top(logits, 1).get(0).index();
        Attribution attribution = switch (method) {
            case GRADCAM -> new GradCam(camLayer);
            case SALIENCY -> new Saliency();
            case SMOOTHGRAD -> new SmoothGrad(SMOOTHGRAD_SAMPLES, SMOOTHGRAD_NOISE * inputRange(model), 1);
        };
        float[][] map = attribution.explain(net, image, output.name(), explained);
        return new Result(method, explained, camLayer, Predictions.top(logits, TOP), map,
                Tiles.fromPlanes(planes, model.channels(), model.width(), model.height()));
    }

    /**
     * Grad-CAM's default layer: the output of the model's last convolution block, that is its last convolution and the
     * layers after it that keep its maps' shape and are no convolution or pool (its batch norm, its activation, a
     * residual addition), as pytorch-grad-cam advises (the last block's output, {@code layer4[-1]} of a ResNet). So an
     * export that keeps its batch norms and one whose norms were folded into the convolutions, whose last convolutions
     * differ (before the norm, or with it), explain the same maps. A concatenation of maps of the same size belongs to
     * the block too: an Inception or DenseNet block ends in one, and its last convolution is one branch's (a GoogLeNet's
     * last convolution has 128 of its block's 1,024 channels). Without a convolution: the last layer with maps.
     *
     * @throws UserError when the model has no layer with feature maps
     */
    public static String lastConvolutionBlock(LoadedModel model) {
        List<LayerInfo> layers = model.layers();
        int last = -1;
        for (int i = 0; i < layers.size(); i++) {
            if (GradCam.readable(layers.get(i)) && kind(layers.get(i)).contains("conv")) {
                last = i;
            }
        }
        if (last < 0) {
            return layers.stream().filter(GradCam::readable).reduce((a, b) -> b).orElseThrow(() ->
                    new UserError("model " + model.id() + " has no layer with feature maps for Grad-CAM; use saliency")).name();
        }
        int end = last;
        for (int i = last + 1; i < layers.size(); i++) {
            LayerInfo next = layers.get(i);
            boolean joins = kind(next).equals("concat") && next.spatial() && next.height() == layers.get(end).height()
                    && next.width() == layers.get(end).width();
            if (!joins && !next.outputShape().equals(layers.get(end).outputShape()) || kind(next).contains("conv")
                    || kind(next).contains("pool")) {
                break;
            }
            end = i;
        }
        return layers.get(end).name();
    }

    private static String kind(LayerInfo layer) {
        return layer.kind().toLowerCase(Locale.ROOT);
    }

    /** How far the model's input units span between a black and a white pixel (mean over channels). */
    private static double inputRange(LoadedModel model) {
        long[] shape = {1, model.channels(), 1, 1};
        INDArray black = model.inputSpace().toInput(Nd4j.zeros(org.nd4j.linalg.api.buffer.DataType.FLOAT, shape));
        INDArray white = model.inputSpace().toInput(Nd4j.ones(org.nd4j.linalg.api.buffer.DataType.FLOAT, shape));
        return Arrays.stream(white.sub(black).dup().data().asDouble()).map(Math::abs).average().orElse(1);
    }
}
