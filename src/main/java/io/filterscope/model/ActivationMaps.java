package io.filterscope.model;

import io.filterscope.IndexRange;
import io.filterscope.UserError;
import io.filterscope.engine.net.LayerInfo;
import io.filterscope.engine.net.Network;
import io.filterscope.image.Grids;
import io.filterscope.image.ImageInput;
import io.filterscope.image.Tiles;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** One image's feature maps at one layer, with its channels ordered strongest (highest mean) first. */
public final class ActivationMaps {
    /** One channel's summary. */
    public record Channel(int index, double mean, double max) {
    }

    private final String layer;
    private final INDArray maps;
    private final List<Channel> strongestFirst;

    private ActivationMaps(String layer, INDArray maps) {
        this.layer = layer;
        this.maps = maps;
        List<Channel> channels = new ArrayList<>();
        for (int c = 0; c < maps.size(0); c++) {
            INDArray one = maps.get(NDArrayIndex.point(c));
            channels.add(new Channel(c, one.meanNumber().doubleValue(), one.maxNumber().doubleValue()));
        }
        channels.sort(Comparator.comparingDouble(Channel::mean).reversed());
        this.strongestFirst = List.copyOf(channels);
    }

    /** Resizes the picture to the model's input, runs it to {@code layer} and keeps that layer's maps. */
    public static ActivationMaps of(LoadedModel model, String layer, BufferedImage picture) {
        LayerInfo info = model.layer(layer);
        if (!info.spatial()) {
            throw new UserError("layer " + layer + " has no feature maps (it is dense); pick a convolutional layer");
        }
        float[] planes = ImageInput.toPlanes(picture, model.channels(), model.width(), model.height());
        Network net = model.cached(1, model.height());
        net.input().assign(model.inputSpace().toInput(
                Nd4j.create(planes, new long[] {1, model.channels(), model.height(), model.width()})));
        net.forward(List.of(layer));
        return new ActivationMaps(layer, net.output(layer).get(NDArrayIndex.point(0)).dup());
    }

    public List<Channel> strongestFirst() {
        return strongestFirst;
    }

    public List<Long> shape() {
        return List.of(maps.size(0), maps.size(1), maps.size(2));
    }

    /** One channel's map, colour-mapped by its own range. */
    public BufferedImage map(long channel) {
        new IndexRange("channel", "layer " + layer, maps.size(0)).check(channel);
        return Tiles.colourMapped(maps.get(NDArrayIndex.point(channel)).dup('c').data().asFloat(),
                (int) maps.size(2), (int) maps.size(1));
    }

    /** Every map, strongest first, labelled with its channel index (and {@code labelled}'s text). */
    public BufferedImage mosaic(int tileSide, java.util.function.Function<Channel, String> label) {
        List<BufferedImage> tiles = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        for (Channel c : strongestFirst) {
            tiles.add(map(c.index()));
            labels.add(label.apply(c));
        }
        int side = (int) Math.max(maps.size(1), maps.size(2));
        return Grids.grid(tiles, labels, Set.of(), (int) Math.ceil(Math.sqrt(tiles.size())), Math.max(1, tileSide / side));
    }
}
