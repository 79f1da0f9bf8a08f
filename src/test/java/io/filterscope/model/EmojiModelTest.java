package io.filterscope.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.data.IdxFiles;
import io.filterscope.data.LabeledImages;
import io.filterscope.engine.net.LayerInfo;
import io.filterscope.engine.net.Network;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

/**
 * emoji-cnn, the bundled colour model written by src/main/python/train_emoji_cnn.py (docs/emoji.md): its files are
 * what the models directory reads, it comes first, and FilterScope's ONNX reader classifies as PyTorch did.
 * Its galleries are checked in {@link io.filterscope.cli.BundledModelsTest}.
 */
class EmojiModelTest {
    private static final Path DIR = Path.of("models");

    @Test
    void metadataFollowsTheModelsDirectorysSchema() {
        ModelMetadata meta = new ModelStore(DIR).readMetadata(DIR.resolve("emoji-cnn.json"));
        assertEquals("emoji-cnn.onnx", meta.file());
        assertEquals(List.of(3, 64, 64), meta.inputShape());
        assertEquals(12, meta.classes().size());
        assertEquals(null, meta.input().mismatch(3));
        assertTrue(meta.provenance().heldOutAccuracy() >= 0.8, "claims " + meta.provenance().heldOutAccuracy());
    }

    /** The page opens on the first available model of the list, at the layer and filter its metadata names. */
    @Test
    void isTheFirstModelListedAndOpensOnAConvolutionsFilter() {
        ModelStore store = new ModelStore(DIR);
        ModelStore.Entry first = store.list().get(0);
        assertEquals("emoji-cnn", first.id());
        assertTrue(first.available(), first.error());
        ModelMetadata.DefaultView view = first.metadata().defaultView();
        LayerInfo layer = store.load("emoji-cnn").layer(view.layer());
        assertTrue(layer.kind().startsWith("conv2d"), layer.kind());
        assertTrue(view.filter() < layer.channels());
    }

    /**
     * Through FilterScope's ONNX reader and the metadata's normalization: the example set (1,080 pictures of
     * held-out emoji) is classified as PyTorch classified it when the script wrote it, 869 right (80.5%); a
     * borderline picture may round the other way, two either way.
     */
    @Test
    void classifiesItsHeldOutExamplesAsPyTorchDid() throws Exception {
        LoadedModel model = new ModelStore(DIR).load("emoji-cnn");
        LabeledImages examples = model.examples();
        int side = 3 * 64 * 64;
        int correct = 0;
        for (int from = 0; from < examples.size(); from += 120) {
            int n = Math.min(120, examples.size() - from);
            Network net = model.cached(120, 64);
            float[] flat = new float[120 * side];
            for (int i = 0; i < n; i++) {
                System.arraycopy(examples.pixels()[from + i], 0, flat, i * side, side);
            }
            net.input().assign(model.inputSpace().toInput(Nd4j.create(flat, new long[] {120, 3, 64, 64})));
            net.forward(List.of("logits"));
            int[] predicted = net.output("logits").argMax(1).toIntVector();
            for (int i = 0; i < n; i++) {
                correct += predicted[i] == examples.labels()[from + i] ? 1 : 0;
            }
        }
        assertTrue(Math.abs(correct - 869) <= 2, correct + " of " + examples.size() + " right");
    }

    @Test
    void exampleSetIsBalancedColourPicturesOfEveryClass() throws Exception {
        ModelMetadata meta = new ModelStore(DIR).readMetadata(DIR.resolve("emoji-cnn.json"));
        LabeledImages examples = IdxFiles.read(DIR.resolve(meta.examples().images()), DIR.resolve(meta.examples().labels()));
        assertEquals(3, examples.channels());
        assertEquals(64, examples.height());
        assertEquals(64, examples.width());
        assertTrue(examples.size() >= 1000, examples.size() + " examples");
        int[] perClass = new int[meta.classes().size()];
        for (int label : examples.labels()) {
            perClass[label]++;
        }
        for (int count : perClass) {
            assertEquals(examples.size() / perClass.length, count);
        }
        // colour, not grey stored three times: some pixel of some picture has unequal channels
        float[] first = examples.pixels()[0];
        boolean coloured = false;
        for (int i = 0; i < 64 * 64 && !coloured; i++) {
            coloured = Math.abs(first[i] - first[64 * 64 + i]) > 0.1f || Math.abs(first[i] - first[2 * 64 * 64 + i]) > 0.1f;
        }
        assertTrue(coloured);
    }
}
