package io.filterscope.cli;

import io.filterscope.image.Grids;
import io.filterscope.model.ActivationMaps;
import io.filterscope.model.LoadedModel;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code activations --model M --layer L --image IN}: one image's feature maps, strongest channel first. */
@Command(name = "activations", mixinStandardHelpOptions = true,
        description = "An image's feature maps as a grid image, strongest first, and the top channels printed.")
final class ActivationsCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "M", description = "model id (see: models)")
    String modelId;

    @Option(names = "--layer", required = true, paramLabel = "L", description = "layer name")
    String layerName;

    @Option(names = "--image", required = true, paramLabel = "IN", description = "PNG, JPEG, GIF or BMP")
    Path imageFile;

    @Option(names = "--top", paramLabel = "K", description = "channels to print (default: ${DEFAULT-VALUE})")
    @Bounds(min = 1, max = 4096)
    int top = 8;

    @Option(names = "--out", paramLabel = "F.png", description = "output image, .png or .jpg (default: MODEL-LAYER-activations.png)")
    Path out;

    @Mixin
    ModelsDir models;

    @Override
    public Integer call() throws IOException {
        LoadedModel model = models.store().load(modelId);
        model.layer(layerName);
        Cli.within("activations", this, "--top", top);
        Path file = CommandSupport.output("activations", out != null ? out : Path.of(model.id() + "-" + layerName + "-activations.png"));

        ActivationMaps maps = ActivationMaps.of(model, layerName, CommandSupport.readImage(imageFile));
        List<Long> shape = maps.shape();
        BufferedImage grid = Grids.withLegend(maps.mosaic(64, c -> c.index() + String.format(" %.2f", c.mean())),
                List.of(model.id() + " " + layerName + " on " + imageFile.getFileName() + ": " + shape.get(0)
                        + " channels, strongest (mean activation) first"));
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("model", model.id());
        settings.put("layer", layerName);
        settings.put("image", imageFile.toString());
        CommandSupport.write(grid, CommandSupport.provenance(List.of("activations", "--model", model.id(), "--layer", layerName,
                "--image", imageFile.toString()), settings), file);

        System.out.printf("%s %s on %s: %d channels of %dx%d%n", model.id(), layerName, imageFile, shape.get(0),
                shape.get(2), shape.get(1));
        System.out.println("top channels by mean activation:");
        for (ActivationMaps.Channel c : maps.strongestFirst().subList(0, Math.min(top, maps.strongestFirst().size()))) {
            System.out.printf("  %4d  mean %.4f  max %.4f%n", c.index(), c.mean(), c.max());
        }
        System.out.println("wrote " + file);
        return 0;
    }
}
