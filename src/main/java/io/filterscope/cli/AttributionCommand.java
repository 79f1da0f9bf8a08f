package io.filterscope.cli;

import io.filterscope.UserError;
import io.filterscope.engine.attribution.Predictions;
import io.filterscope.model.AttributionMaps;
import io.filterscope.model.LoadedModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code attribution --model M --image IN}: what the model predicts for an image, and which pixels a class rests on. */
@Command(name = "attribution", mixinStandardHelpOptions = true,
        description = "Prints an image's top-5 predictions and writes a class's attribution map over the image "
                + "(Grad-CAM, gradient saliency or SmoothGrad).")
final class AttributionCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "M", description = "model id (see: models)")
    String modelId;

    @Option(names = "--image", required = true, paramLabel = "IN", description = "PNG, JPEG, GIF or BMP")
    Path imageFile;

    @Option(names = "--class", paramLabel = "K", description = "class index to explain (default: the top prediction)")
    Long cls;

    @Option(names = "--layer", paramLabel = "L", description = "Grad-CAM's layer (default: the output of the last convolution block, after its norm and activation)")
    String layer;

    @Option(names = "--method", paramLabel = "METHOD", description = "gradcam, saliency or smoothgrad (default: ${DEFAULT-VALUE})")
    String method = AttributionMaps.Method.GRADCAM.wire();

    @Option(names = "--opacity", paramLabel = "A", description = "the map's opacity over the image, 0-1 (default: ${DEFAULT-VALUE})")
    double opacity = AttributionMaps.Result.DEFAULT_OPACITY;

    @Option(names = "--out", paramLabel = "F.png", description = "output image, .png or .jpg (default: MODEL-METHOD.png)")
    Path out;

    @Mixin
    ModelsDir models;

    @Override
    public Integer call() throws IOException {
        AttributionMaps.Method how = AttributionMaps.Method.parse(method);
        if (!(opacity >= 0 && opacity <= 1)) {
            throw new UserError("attribution: --opacity must be from 0 to 1, got " + opacity);
        }
        LoadedModel model = models.store().load(modelId);
        Path file = CommandSupport.output("attribution", out != null ? out : Path.of(model.id() + "-" + how.wire() + ".png"));
        AttributionMaps.Result r = AttributionMaps.explain(model, CommandSupport.readImage(imageFile), how, cls == null ? null : cls.toString(), layer);

        List<String> command = new ArrayList<>(List.of("attribution", "--model", model.id(), "--image", imageFile.toString(),
                "--class", String.valueOf(r.cls()), "--method", how.wire(), "--opacity", String.valueOf(opacity)));
        if (r.layer() != null) {
            command.addAll(List.of("--layer", r.layer()));
        }
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("model", model.id());
        settings.put("image", imageFile.toString());
        settings.put("method", how.wire());
        settings.put("class", r.cls());
        if (r.layer() != null) {
            settings.put("layer", r.layer());
        }
        CommandSupport.write(r.overlay(opacity), CommandSupport.provenance(command, settings), file);

        System.out.printf("%s on %s: top %d predictions%n", model.id(), imageFile, r.predictions().size());
        for (Predictions.Prediction p : r.predictions()) {
            System.out.printf("  %4d  %6.2f%%  %s%n", p.index(), 100 * p.probability(), model.label(p.index()));
        }
        System.out.printf("%s of class %d (%s)%s%n", how.wire(), r.cls(), model.label(r.cls()),
                r.layer() == null ? "" : " at layer " + r.layer());
        System.out.println("wrote " + file);
        return 0;
    }
}
