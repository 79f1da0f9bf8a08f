package io.filterscope.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.model.FixtureModels;
import io.filterscope.model.keras.KerasFixtures;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A Keras file dropped into the models directory, from the command line. */
class KerasCommandsTest {

    @Test
    void droppedKerasModelIsListedWithItsLayerNamesAndRendersAGallery(@TempDir Path dir) throws Exception {
        KerasFixtures.copy("mnist-seq.h5", dir, "kaggle-mnist.h5");
        String out = CommandLine.run("models", "--models", dir.toString());
        assertTrue(out.contains("kaggle-mnist  input [1, 28, 28]") && out.contains("defaults in use"), out);
        for (String layer : new String[] {"conv2d_1", "conv2d_2", "conv2d_3", "conv2d_4", "dense_1", "dense_2"}) {
            assertTrue(out.contains("  " + layer + " "), layer + " in " + out);
        }
        Path png = dir.resolve("gallery.png");
        CommandLine.run("gallery", "--models", dir.toString(), "--model", "kaggle-mnist", "--layer", "conv2d_1",
                "--filters", "0-3", "--steps", "8", "--out", png.toString());
        BufferedImage image = ImageIO.read(png.toFile());
        assertTrue(image.getWidth() > 28 * 2 && image.getHeight() > 28 * 2, image.getWidth() + "x" + image.getHeight());
    }

    @Test
    void truncatedKerasFileIsListedAsUnavailableNextToTheOthers(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        byte[] h5 = Files.readAllBytes(KerasFixtures.resource("mnist-seq.h5"));
        Files.write(dir.resolve("cut.h5"), Arrays.copyOf(h5, h5.length - 100));
        String out = CommandLine.run("models", "--models", dir.toString());
        String line = out.lines().filter(l -> l.startsWith("cut:")).findFirst().orElse("");
        assertTrue(line.contains("unavailable") && line.contains("cut.h5") && line.contains("truncated"), out);
        assertTrue(out.contains("tiny  input [1, 28, 28]"), out);
        assertEquals(1, out.lines().filter(l -> l.contains("cut")).count(), out);
    }
}
