package io.filterscope.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.model.FixtureModels;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code gallery --animate}: a GIF beside the PNG, one frame per step up to the bound, then evenly spaced steps. */
class GalleryAnimateTest {

    static int frames(Path gif) throws Exception {
        ImageReader reader = ImageIO.getImageReadersByFormatName("gif").next();
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(Files.readAllBytes(gif)))) {
            reader.setInput(in);
            return reader.getNumImages(true);
        } finally {
            reader.dispose();
        }
    }

    @Test
    void animateWritesAGifOfTheGalleryFormingStepByStep(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        String out = CommandLine.run("gallery", "--models", dir.toString(), "--model", "tiny", "--layer", "conv1", "--filters", "0-5",
                "--steps", "10", "--batch", "4", "--animate", "--out", dir.resolve("g.png").toString());
        assertTrue(out.contains("g.gif (10 frames)"), out);
        assertEquals(10, frames(dir.resolve("g.gif")), "one frame per step, across two minibatches");
        assertTrue(Files.size(dir.resolve("g.png")) > 0);

        CommandLine.run("gallery", "--models", dir.toString(), "--model", "tiny", "--layer", "conv1", "--filters", "0-1",
                "--steps", "100", "--animate", "--out", dir.resolve("long.png").toString());
        // Steps 1, 5, ..., 97 and the last, 100: within the bound of 32.
        assertEquals(26, frames(dir.resolve("long.gif")));
    }
}
