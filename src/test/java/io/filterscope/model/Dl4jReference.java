package io.filterscope.model;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Expected values for server and command tests, computed by DL4J's own inference on a saved model (not by
 * our compiled network): a layer's activations, and the output layer's pre-softmax logits worked out
 * from its weights.
 */
public final class Dl4jReference {
    private final MultiLayerNetwork net;

    private Dl4jReference(MultiLayerNetwork net) {
        this.net = net;
    }

    public static Dl4jReference load(Path zip) throws IOException {
        return new Dl4jReference(ModelSerializer.restoreMultiLayerNetwork(zip.toFile(), false));
    }

    public MultiLayerNetwork network() {
        return net;
    }

    /**
     * Input [n, 1, h, w] of grey pictures (8-bit grey, or RGB with R = G = B), scaled to [0, 1] as a UNIT model
     * takes it. Grey samples are read as stored: Java2D's getRGB would brighten them as linear light.
     */
    public static INDArray greyInput(BufferedImage... pictures) {
        int h = pictures[0].getHeight();
        int w = pictures[0].getWidth();
        INDArray x = Nd4j.create(DataType.FLOAT, pictures.length, 1, h, w);
        for (int i = 0; i < pictures.length; i++) {
            boolean grey = pictures[i].getColorModel().getColorSpace().getType() == java.awt.color.ColorSpace.TYPE_GRAY;
            for (int y = 0; y < h; y++) {
                for (int c = 0; c < w; c++) {
                    int level = grey ? pictures[i].getRaster().getSample(c, y, 0) : pictures[i].getRGB(c, y) & 0xFF;
                    x.putScalar(new long[] {i, 0, y, c}, level / 255.0);
                }
            }
        }
        return x;
    }

    /** The output of the layer named {@code layer} for {@code input}, [n, c, h, w] or [n, units]. */
    public INDArray activation(String layer, INDArray input) {
        List<INDArray> all = net.feedForward(input.castTo(DataType.FLOAT), false);
        return all.get(index(layer) + 1);
    }

    /** The output layer's logits: its weights applied to the flattened activations below it, before softmax. */
    public INDArray logits(INDArray input) {
        int last = net.getnLayers() - 1;
        List<INDArray> all = net.feedForward(input.castTo(DataType.FLOAT), false);
        INDArray below = all.get(last);
        INDArray flat = below.dup('c').reshape('c', below.size(0), below.length() / below.size(0));
        return flat.mmul(net.getLayer(last).getParam("W")).addRowVector(net.getLayer(last).getParam("b"));
    }

    private int index(String layer) {
        for (int i = 0; i < net.getnLayers(); i++) {
            if (layer.equals(net.getLayerWiseConfigurations().getConf(i).getLayer().getLayerName())) {
                return i;
            }
        }
        throw new IllegalArgumentException("no layer " + layer);
    }
}
