package io.filterscope.model.keras;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.model.ModelStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the reader cannot compute is refused when the model is listed, in one line naming the file, the layer,
 * its class and what is unsupported (files written by src/test/python/keras_kinds.py); the other models keep
 * working, and a file replaced by a readable one is picked up without a restart.
 */
class KerasRefusalsTest {
    /** File, then the words its refusal must contain. */
    private static final Map<String, String[]> REFUSED = Map.of(
            "lambda.h5", new String[] {"'scale_by_two'", "(Lambda)", "Python code"},
            "custom.h5", new String[] {"'attention'", "(MyAttention)", "custom layers"},
            "exponential.h5", new String[] {"'exp'", "(Activation)", "activation 'exponential' is not supported"},
            "bicubic.h5", new String[] {"'up'", "(UpSampling2D)", "interpolation 'bicubic' is not supported"},
            "two_inputs.h5", new String[] {"2 inputs", "only one image input"});

    private static Path kinds(String file) {
        return KerasFamiliesTest.family("kinds_shapes").resolveSibling(file);
    }

    @Test
    void describingRefusesWithTheLayerItsClassAndWhat() {
        REFUSED.forEach((file, words) -> {
            IOException e = assertThrows(IOException.class, () -> KerasFile.describe(kinds(file)), file);
            for (String w : words) {
                assertTrue(e.getMessage().contains(w), file + ": " + e.getMessage());
            }
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        });
    }

    @Test
    void listingMarksRefusedModelsUnavailableAndKeepsTheOthers(@TempDir Path dir) throws Exception {
        for (String file : REFUSED.keySet()) {
            Files.copy(kinds(file), dir.resolve(file));
        }
        Files.copy(kinds("keras_only.h5"), dir.resolve("fine.h5"));
        ModelStore store = new ModelStore(dir);
        for (ModelStore.Entry e : store.list()) {
            if (e.id().equals("fine")) {
                assertTrue(e.available(), e.error());
                continue;
            }
            assertFalse(e.available(), e.id());
            String[] words = REFUSED.get(e.id() + ".h5");
            assertTrue(e.error().startsWith(dir.resolve(e.id() + ".h5").toString() + ": "), e.error());
            for (String w : words) {
                assertTrue(e.error().contains(w), e.error());
            }
        }
        assertTrue(store.load("fine").layers().size() > 5);
    }

    /** A .keras zip whose part is damaged is refused naming that part. */
    @Test
    void aDamagedPartOfAKerasZipIsNamed(@TempDir Path dir) throws Exception {
        Path good = Path.of("src/test/resources/keras/kinds/kinds_shapes.keras");
        Map<String, String> damage = Map.of("metadata.json", "its metadata.json is not JSON",
                "model.weights.h5", "its model.weights.h5: ");
        for (Map.Entry<String, String> d : damage.entrySet()) {
            Path file = dir.resolve("damaged-" + d.getKey() + ".keras");
            try (ZipFile in = new ZipFile(good.toFile());
                 ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(file))) {
                for (ZipEntry e : Collections.list(in.entries())) {
                    out.putNextEntry(new ZipEntry(e.getName()));
                    out.write(e.getName().equals(d.getKey()) ? "garbage".getBytes() : in.getInputStream(e).readAllBytes());
                    out.closeEntry();
                }
            }
            IOException e = assertThrows(IOException.class, () -> {
                KerasFile.describe(file);
                KerasFile.read(file, null);
            }, d.getKey());
            assertTrue(e.getMessage().contains(d.getValue()), d.getKey() + ": " + e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        }
    }

    /** A refused file replaced in place by a readable one is listed and loads, without a new store. */
    @Test
    void aReplacedFileIsReadAgain(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("model.h5");
        Files.copy(kinds("lambda.h5"), file);
        ModelStore store = new ModelStore(dir);
        assertFalse(store.list().get(0).available());
        Files.copy(kinds("keras_only.h5"), file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 2000));
        assertTrue(store.list().get(0).available(), store.list().get(0).error());
        int before = store.load("model").layers().size();
        Files.copy(kinds("channels_first.h5"), file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 4000));
        assertTrue(store.load("model").layers().size() != before, "the loaded model follows the file");
    }
}
