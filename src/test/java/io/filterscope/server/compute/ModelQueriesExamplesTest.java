package io.filterscope.server.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.filterscope.data.IdxFiles;
import io.filterscope.data.LabeledImages;
import io.filterscope.engine.net.Network;
import io.filterscope.model.FixtureModels;
import io.filterscope.model.LoadedModel;
import io.filterscope.model.ModelMetadata;
import io.filterscope.model.ModelStore;
import io.filterscope.server.protocol.Answers;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.factory.Nd4j;

/** "Images that excite this filter most" for a colour model with colour example images. */
class ModelQueriesExamplesTest {

    @Test
    void colourExamplesAreScoredAsRgbPlanesAndShownInColour(@TempDir Path dir) throws Exception {
        FixtureModels.writeGraph(dir, "rgb");
        int n = 20;
        float[][] pixels = new float[n][3 * 10 * 10];
        Random rng = new Random(3);
        for (float[] image : pixels) {
            for (int c = 0; c < 3; c++) {
                float level = rng.nextFloat(); // one colour per image, different per channel
                for (int i = 0; i < 100; i++) {
                    image[c * 100 + i] = Math.min(1f, Math.max(0f, level + 0.2f * (rng.nextFloat() - 0.5f)));
                }
            }
        }
        IdxFiles.write(new LabeledImages(pixels, new int[n], 10, 10, 3), dir.resolve("rgb.ex-images.idx.gz"),
                dir.resolve("rgb.ex-labels.idx.gz"));
        ObjectMapper json = new ObjectMapper();
        ModelMetadata meta = json.readValue(dir.resolve("rgb.json").toFile(), ModelMetadata.class);
        json.writeValue(dir.resolve("rgb.json").toFile(), new ModelMetadata(meta.id(), meta.description(), meta.file(),
                meta.inputShape(), meta.input(), meta.classes(),
                new ModelMetadata.Examples("rgb.ex-images.idx.gz", "rgb.ex-labels.idx.gz", "uniform colours"), null));
        ModelStore store = new ModelStore(dir);

        List<Answers.Example> best = new ModelQueries(store).examples("rgb", "c1", 1, 5).examples();

        assertEquals(5, best.size());
        LoadedModel model = store.load("rgb");
        LabeledImages examples = model.examples();
        Network one = model.compile(1, 10);
        for (int k = 0; k < best.size(); k++) {
            Answers.Example e = best.get(k);
            int index = e.index();
            // the same image alone, as planes [1, 3, 10, 10]: its mean activation is the score given
            one.input().assign(model.inputSpace().toInput(Nd4j.create(examples.pixels()[index], new long[] {1, 3, 10, 10})));
            one.forward(List.of("c1"));
            double alone = one.output("c1").get(org.nd4j.linalg.indexing.NDArrayIndex.point(0),
                    org.nd4j.linalg.indexing.NDArrayIndex.point(1)).meanNumber().doubleValue();
            assertEquals(alone, e.activation(), 1e-4, "example " + index);
            if (k > 0) {
                assertTrue(e.activation() <= best.get(k - 1).activation());
            }
            BufferedImage shown = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(
                    e.image().substring("data:image/png;base64,".length()))));
            int rgb = shown.getRGB(5, 5);
            float[] p = examples.pixels()[index];
            assertEquals(Math.round(p[55] * 255), rgb >> 16 & 0xff, "red of example " + index);
            assertEquals(Math.round(p[155] * 255), rgb >> 8 & 0xff, "green of example " + index);
            assertEquals(Math.round(p[255] * 255), rgb & 0xff, "blue of example " + index);
        }
    }
}
