package io.filterscope.engine.attribution;

import io.filterscope.engine.net.LayerInfo;
import io.filterscope.engine.net.Network;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastMulOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Grad-CAM (Selvaraju et al., "Grad-CAM: Visual Explanations from Deep Networks via Gradient-based
 * Localization", 2017): the feature maps A_k of a convolutional layer, each weighed by how much the class
 * score gains from it on average (the mean over positions of d score / d A_k), summed, with only the positive
 * evidence kept: ReLU(sum_k alpha_k A_k), stretched to the image's size. The last convolutional layer gives the
 * coarsest, most class-specific map.
 *
 * @param layer a layer with feature maps ([c, h, w] per image)
 */
public record GradCam(String layer) implements Attribution {

    @Override
    public float[][] explain(Network net, INDArray image, String output, int cls) {
        LayerInfo info = net.layer(layer);
        if (info == null || refusal(info) != null) {
            throw new IllegalArgumentException(info == null ? net.unavailable(layer) : refusal(info));
        }
        Attribution.forwardAndSeed(net, image, output, cls, List.of(layer, output));
        INDArray maps = net.output(layer);
        INDArray alpha = net.backwardTo(layer, List.of(output)).mean(2, 3); // [1, c]
        INDArray cam = Nd4j.getExecutioner().exec(new BroadcastMulOp(maps, alpha, maps.like(), 0, 1)).sum(1); // [1, h, w]
        INDArray positive = Transforms.relu(cam, false).reshape(info.height(), info.width());
        float[][] coarse = new float[(int) info.height()][];
        for (int y = 0; y < coarse.length; y++) {
            coarse[y] = positive.getRow(y).dup().data().asFloat();
        }
        return Heatmaps.scaleToUnit(Heatmaps.resize(coarse, (int) image.size(2), (int) image.size(3)));
    }

    /**
     * Whether Grad-CAM can read a layer: it has feature maps of more than one position at the size its shape was taken
     * at (a global pool's [c, 1, 1] maps weigh one value per channel, so the map is one flat colour).
     */
    public static boolean readable(LayerInfo info) {
        return refusal(info) == null;
    }

    /**
     * Why Grad-CAM cannot read a layer, in one line, or null when it can: a layer without feature maps (a dense layer, a
     * flatten, a global pool's vector) or with maps of a single position (a global pool keeping its dimensions).
     */
    public static String refusal(LayerInfo info) {
        if (!info.spatial()) {
            return "Grad-CAM needs a layer with feature maps [c, h, w]; " + info.name() + " (" + info.kind()
                    + ") gives " + info.outputShape();
        }
        if (!info.hasPositions()) {
            return "Grad-CAM needs feature maps with more than one position; " + info.name() + " (" + info.kind()
                    + ") gives " + info.outputShape() + " at the model's input size, so its map has no spatial extent";
        }
        return null;
    }
}
