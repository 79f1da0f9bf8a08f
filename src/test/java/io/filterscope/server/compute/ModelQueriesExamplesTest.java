package io.filterscope.server.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.filterscope.data.IdxFiles;
import io.filterscope.data.LabeledImages;
import io.filterscope.engine.net.Network;
import io.filterscope.model.ExampleActivations;
import io.filterscope.model.FixtureModels;
import io.filterscope.model.LoadedModel;
import io.filterscope.model.ModelMetadata;
import io.filterscope.model.ModelStore;
import io.filterscope.server.protocol.Answers;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.stream.IntStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.factory.Nd4j;

/** "Images that excite this filter most": colour examples, and the ranking scored a slice per piece of work. */
class ModelQueriesExamplesTest {

    /** The answer, asking for piece after piece as the compute thread would; {@code pieces[0]} counts them. */
    private static Answers.Examples answer(ModelQueries queries, String model, String layer, int filter, int n, int... pieces)
            throws Exception {
        for (int piece = 1; ; piece++) {
            Optional<Answers.Examples> answer = queries.examplesPiece(model, layer, String.valueOf(filter), n);
            if (answer.isPresent()) {
                if (pieces.length > 0) {
                    pieces[0] = piece;
                }
                return answer.get();
            }
        }
    }

    /** A fixture colour model "rgb" (layer c1, 10 x 10 px) with {@code n} example images of one colour each. */
    private static ModelStore colourExamples(Path dir, int n) throws Exception {
        FixtureModels.writeGraph(dir, "rgb");
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
        return new ModelStore(dir);
    }

    @Test
    void slicedScoringRanksAsOnePassOverAllExamples(@TempDir Path dir) throws Exception {
        int n = 3 * ExampleActivations.SLICE + 5;
        ModelStore store = colourExamples(dir, n);
        int[] pieces = new int[1];

        List<Answers.Example> ranked = answer(new ModelQueries(store), "rgb", "c1", 2, n, pieces).examples();

        assertEquals(4, pieces[0], "one slice of " + ExampleActivations.SLICE + " per piece, the answer with the last");
        // As before the slices: every example in one minibatch, ranked by the channel's mean.
        LoadedModel model = store.load("rgb");
        LabeledImages examples = model.examples();
        float[] flat = new float[n * 300];
        for (int i = 0; i < n; i++) {
            System.arraycopy(examples.pixels()[i], 0, flat, i * 300, 300);
        }
        Network all = model.compile(n, 10);
        all.input().assign(model.inputSpace().toInput(Nd4j.create(flat, new long[] {n, 3, 10, 10})));
        all.forward(List.of("c1"));
        double[] means = all.output("c1").mean(2, 3).getColumn(2).toDoubleVector();
        List<Integer> onePass = IntStream.range(0, n).boxed().sorted(Comparator.comparingDouble(i -> -means[i])).toList();
        assertTrue(java.util.Arrays.stream(means).distinct().count() > n / 2, "a filter that tells the examples apart");
        assertEquals(onePass, ranked.stream().map(Answers.Example::index).toList());
        for (Answers.Example e : ranked) {
            assertEquals(means[e.index()], e.activation(), 1e-5, "example " + e.index());
        }
        answer(new ModelQueries(store), "rgb", "c1", 0, 3, pieces);
        assertEquals(1, pieces[0], "scored once per model and layer: a later query, of another filter, is one piece");
    }

    @Test
    void colourExamplesAreScoredAsRgbPlanesAndShownInColour(@TempDir Path dir) throws Exception {
        ModelStore store = colourExamples(dir, 20);

        List<Answers.Example> best = answer(new ModelQueries(store), "rgb", "c1", 1, 5).examples();

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
