package io.filterscope.cli;

import io.filterscope.UserError;
import io.filterscope.image.Grids;
import io.filterscope.image.ImageInput;
import io.filterscope.image.PngFiles;
import io.filterscope.model.ActivationMaps;
import io.filterscope.model.LoadedModel;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

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
        model.layer(layerName);
        Path imageFile = Path.of(flags.required("image"));
        int top = flags.integer("top", 8, 1, 4096);
        Path out = flags.path("out", model.id() + "-" + layerName + "-activations.png");

        BufferedImage picture;
        try {
            picture = ImageInput.read(imageFile, MAX_PIXELS);
        } catch (IOException e) {
            throw new UserError(e.getMessage());
        }
        ActivationMaps maps = ActivationMaps.of(model, layerName, picture);
        List<Long> shape = maps.shape();
        BufferedImage grid = Grids.withLegend(maps.mosaic(64, c -> c.index() + String.format(" %.2f", c.mean())),
                List.of(model.id() + " " + layerName + " on " + imageFile.getFileName() + ": " + shape.get(0)
                        + " channels, strongest (mean activation) first"));
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("model", model.id());
        settings.put("layer", layerName);
        settings.put("image", imageFile.toString());
        PngFiles.write(grid, CommandSupport.provenance(List.of("activations", "--model", model.id(), "--layer", layerName,
                "--image", imageFile.toString()), settings), out);

        System.out.printf("%s %s on %s: %d channels of %dx%d%n", model.id(), layerName, imageFile, shape.get(0),
                shape.get(2), shape.get(1));
        System.out.println("top channels by mean activation:");
        for (ActivationMaps.Channel c : maps.strongestFirst().subList(0, Math.min(top, maps.strongestFirst().size()))) {
            System.out.printf("  %4d  mean %.4f  max %.4f%n", c.index(), c.mean(), c.max());
        }
        System.out.println("wrote " + out);
        return 0;
    }
}
