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

/**
 * One image's feature maps at one layer, with its channels ordered strongest (highest mean) first. The maps are
 * copied off the device when made ({@link #of}, on the thread that owns the model): drawing them ({@link #map},
 * {@link #mosaic}) needs no device and may be done on any thread.
 */
public final class ActivationMaps {
    /** One channel's summary. */
    public record Channel(int index, double mean, double max) {
    }

    /** [channel][y][x] in row-major order. */
    private final String layer;
    private final float[] maps;
    private final int channels;
    private final int height;
    private final int width;
    private final List<Channel> strongestFirst;

    /** @param maps [channels, height, width] */
    private ActivationMaps(String layer, INDArray maps) {
        this.layer = layer;
        this.maps = maps.dup('c').data().asFloat();
        this.channels = (int) maps.size(0);
        this.height = (int) maps.size(1);
        this.width = (int) maps.size(2);
        int per = height * width;
        List<Channel> all = new ArrayList<>();
        for (int c = 0; c < channels; c++) {
            double sum = 0;
            double max = Double.NEGATIVE_INFINITY;
            for (int i = c * per; i < (c + 1) * per; i++) {
                sum += this.maps[i];
                max = Math.max(max, this.maps[i]);
            }
            all.add(new Channel(c, sum / per, max));
        }
        all.sort(Comparator.comparingDouble(Channel::mean).reversed());
        this.strongestFirst = List.copyOf(all);
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
        return new ActivationMaps(layer, net.output(layer).get(NDArrayIndex.point(0)));
    }

    public List<Channel> strongestFirst() {
        return strongestFirst;
    }

    public List<Long> shape() {
        return List.of((long) channels, (long) height, (long) width);
    }

    /** The channels' indexes, 0 to the layer's channels less one. */
    public IndexRange channels() {
        return new IndexRange("channel", "layer " + layer, channels);
    }

    /** One channel's map, colour-mapped by its own range. */
    public BufferedImage map(long channel) {
        channels().check(channel);
        int per = height * width;
        return Tiles.colourMapped(java.util.Arrays.copyOfRange(maps, (int) channel * per, ((int) channel + 1) * per), width, height);
    }

    /** Every map, strongest first, labelled with its channel index (and {@code labelled}'s text). */
    public BufferedImage mosaic(int tileSide, java.util.function.Function<Channel, String> label) {
        List<BufferedImage> tiles = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        for (Channel c : strongestFirst) {
            tiles.add(map(c.index()));
            labels.add(label.apply(c));
        }
        int side = Math.max(height, width);
        return Grids.grid(tiles, labels, Set.of(), (int) Math.ceil(Math.sqrt(tiles.size())), Math.max(1, tileSide / side));
    }
}
