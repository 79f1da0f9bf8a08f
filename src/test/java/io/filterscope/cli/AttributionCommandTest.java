package io.filterscope.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.UserError;
import io.filterscope.image.PngFiles;
import io.filterscope.model.FixtureModels;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code attribution}: the top predictions printed, the overlay written with its settings, one-line errors. */
class AttributionCommandTest {

    @Test
    void attributionPrintsThePredictionsAndWritesTheOverlayWithItsSettings(@TempDir Path dir) throws Exception {
        FixtureModels.writeLeNet(dir, "tiny");
        BufferedImage img = new BufferedImage(40, 40, BufferedImage.TYPE_INT_RGB);
        img.getGraphics().fillRect(5, 5, 12, 12);
        Path in = dir.resolve("in.png");
        ImageIO.write(img, "png", in.toFile());
        Path out = dir.resolve("why.png");
        String printed = CommandLine.run("attribution", "--models", dir.toString(), "--model", "tiny", "--image", in.toString(),
                "--class", "2", "--out", out.toString());
        assertTrue(printed.contains("top 3 predictions") && printed.contains("gradcam of class 2 (c) at layer conv4"), printed);
        BufferedImage written = ImageIO.read(out.toFile());
        assertTrue(written.getHeight() >= 224 && written.getWidth() == written.getHeight(), "a 28 px input scaled up: " + written.getHeight());
        assertEquals("2", PngFiles.readText(out).get("filterscope:class"));
        assertEquals("gradcam", PngFiles.readText(out).get("filterscope:method"));

        String saliency = CommandLine.run("attribution", "--models", dir.toString(), "--model", "tiny", "--image", in.toString(),
                "--method", "saliency", "--out", dir.resolve("s.png").toString());
        assertTrue(saliency.contains("saliency of class"), saliency);

        UserError e = assertThrows(UserError.class, () -> Main.run("attribution", "--models", dir.toString(), "--model", "tiny",
                "--image", in.toString(), "--method", "lime"));
        assertTrue(e.getMessage().contains("unknown attribution method 'lime'"), e.getMessage());
        e = assertThrows(UserError.class, () -> Main.run("attribution", "--models", dir.toString(), "--model", "tiny",
                "--image", in.toString(), "--class", "9"));
        assertTrue(e.getMessage().contains("class 9 is out of range"), e.getMessage());
    }
}
