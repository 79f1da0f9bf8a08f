package io.filterscope.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.data.IdxFiles;
import io.filterscope.data.LabeledImages;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * emoji-cnn's files, written by src/main/python/train_emoji_cnn.py, wait in models/pending/ until the ONNX
 * reader can load the network (docs/emoji.md); their metadata and example set must already be what the
 * models directory reads. When they move up into models/, BundledModelsTest takes over.
 */
class PendingEmojiModelTest {
    private static final Path DIR = Path.of("models", "pending");

    @Test
    void metadataFollowsTheModelsDirectorysSchema() {
        ModelMetadata meta = new ModelStore(DIR).readMetadata(DIR.resolve("emoji-cnn.json"));
        assertEquals("emoji-cnn.onnx", meta.file());
        assertEquals(List.of(3, 64, 64), meta.inputShape());
        assertEquals(12, meta.classes().size());
        assertEquals(null, meta.input().mismatch(3));
        assertTrue(meta.provenance().heldOutAccuracy() >= 0.8, "claims " + meta.provenance().heldOutAccuracy());
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
