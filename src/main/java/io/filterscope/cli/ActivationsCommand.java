package io.filterscope.cli;

import io.filterscope.UserError;
import io.filterscope.engine.net.LayerInfo;
import io.filterscope.engine.net.Network;
import io.filterscope.image.Grids;
import io.filterscope.image.ImageInput;
import io.filterscope.image.PngFiles;
import io.filterscope.image.Tiles;
import io.filterscope.model.LoadedModel;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** {@code activations --model M --layer L --image IN}: one image's feature maps, strongest channel first. */
final class ActivationsCommand {
    /** Larger uploads are refused before decoding (decompression bombs). */
    static final int MAX_PIXELS = 40_000_000;

    private ActivationsCommand() {
    }

    static int run(String[] args) throws IOException {
        Flags flags = Flags.parse("activations", args, Set.of("model", "layer", "image", "out", "models", "top"), Set.of());
        LoadedModel model = CommandSupport.model(flags);
        String layerName = flags.required("layer");
        LayerInfo layer = model.layers().stream().filter(l -> l.name().equals(layerName)).findFirst()
                .orElseThrow(() -> UserError.notFound("unknown layer '" + layerName + "' in model " + model.id()));
        if (!layer.spatial()) {
            throw new UserError("layer " + layerName + " has no feature maps (it is dense); pick a convolutional layer");
        }
        Path imageFile = Path.of(flags.required("image"));
        int top = flags.integer("top", 8, 1, 4096);
        Path out = flags.path("out", model.id() + "-" + layerName + "-activations.png");

        BufferedImage picture;
        try {
            picture = ImageInput.read(imageFile, MAX_PIXELS);
        } catch (IOException e) {
            throw new UserError(e.getMessage());
        }
        float[] planes = ImageInput.toPlanes(picture, model.channels(), model.width(), model.height());
        Network net = model.cached(1, model.height());
        INDArray x = Nd4j.create(planes, new long[] {1, model.channels(), model.height(), model.width()})
                .muli(model.inputSpace().width()).addi(model.inputSpace().low());
        net.input().assign(x);
        net.forward(List.of(layerName));
        INDArray maps = net.output(layerName).get(NDArrayIndex.point(0)); // [c, h, w]

        int channels = (int) maps.size(0);
        List<Integer> order = new ArrayList<>();
        double[] means = new double[channels];
        double[] maxes = new double[channels];
        for (int c = 0; c < channels; c++) {
            INDArray map = maps.get(NDArrayIndex.point(c));
            means[c] = map.meanNumber().doubleValue();
            maxes[c] = map.maxNumber().doubleValue();
            order.add(c);
        }
        order.sort(Comparator.comparingDouble((Integer c) -> -means[c]));
        List<BufferedImage> tiles = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        int h = (int) maps.size(1);
        int w = (int) maps.size(2);
        for (int c : order) {
            tiles.add(Tiles.colourMapped(maps.get(NDArrayIndex.point(c)).dup('c').data().asFloat(), w, h));
            labels.add(c + String.format(" %.2f", means[c]));
        }
        BufferedImage grid = Grids.withLegend(
                Grids.grid(tiles, labels, Set.of(), (int) Math.ceil(Math.sqrt(channels)), Math.max(1, 64 / Math.max(h, w))),
                List.of(model.id() + " " + layerName + " on " + imageFile.getFileName() + ": " + channels
                        + " channels, strongest (mean activation) first"));
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("model", model.id());
        settings.put("layer", layerName);
        settings.put("image", imageFile.toString());
        PngFiles.write(grid, CommandSupport.provenance(List.of("activations", "--model", model.id(), "--layer", layerName,
                "--image", imageFile.toString()), settings), out);

        System.out.printf("%s %s on %s: %d channels of %dx%d%n", model.id(), layerName, imageFile, channels, w, h);
        System.out.println("top channels by mean activation:");
        for (int i = 0; i < Math.min(top, channels); i++) {
            int c = order.get(i);
            System.out.printf("  %4d  mean %.4f  max %.4f%n", c, means[c], maxes[c]);
        }
        System.out.println("wrote " + out);
        return 0;
    }
}
