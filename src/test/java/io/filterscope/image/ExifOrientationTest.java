package io.filterscope.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * JPEGs as cameras store them, one per EXIF orientation (written by Pillow: src/test/python/exif_fixtures.py),
 * come out upright: 48 x 32 px with red, green, blue and white quadrants from the top left.
 */
class ExifOrientationTest {
    private static final int[][] QUADRANTS = {{0xFF0000, 5, 5}, {0x00FF00, 42, 5}, {0x0000FF, 5, 26}, {0xFFFFFF, 42, 26}};

    @Test
    void everyOrientationIsTurnedUpright() throws Exception {
        for (int n = 1; n <= 8; n++) {
            byte[] jpeg = Files.readAllBytes(Path.of(getClass().getResource("/images/exif/orientation-" + n + ".jpg").toURI()));
            assertEquals(n, Orientation.ofJpeg(jpeg), "tag of orientation-" + n);
            BufferedImage image = ImageInput.read(jpeg, 10_000);
            assertEquals(48, image.getWidth(), "orientation " + n);
            assertEquals(32, image.getHeight(), "orientation " + n);
            for (int[] q : QUADRANTS) {
                int rgb = image.getRGB(q[1], q[2]);
                for (int shift = 0; shift <= 16; shift += 8) {
                    int got = rgb >> shift & 0xFF;
                    int want = q[0] >> shift & 0xFF;
                    assertTrue(Math.abs(got - want) < 40, "orientation " + n + " at " + q[1] + "," + q[2] + ": "
                            + Integer.toHexString(rgb & 0xFFFFFF) + ", want " + Integer.toHexString(q[0]));
                }
            }
        }
    }

    /** A truncated or nonsensical EXIF block is ignored: the picture still reads, as stored. */
    @Test
    void malformedExifIsIgnored() throws Exception {
        byte[] jpeg = Files.readAllBytes(Path.of(getClass().getResource("/images/exif/orientation-6.jpg").toURI()));
        // Pillow writes JFIF's APP0 first, then the EXIF block (APP1).
        int app1 = 2 + 2 + ((jpeg[4] & 0xFF) << 8 | (jpeg[5] & 0xFF));
        assertEquals(0xE1, jpeg[app1 + 1] & 0xFF, "the fixture's second segment is its EXIF block");
        byte[] broken = jpeg.clone();
        broken[app1 + 4 + 6] = 'X';   // the TIFF byte order mark
        assertEquals(1, Orientation.ofJpeg(broken));
        assertEquals(32, ImageInput.read(broken, 10_000).getWidth(), "stored sideways, left as stored");
        assertEquals(1, Orientation.ofJpeg(new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xE1, 0, 40}));
    }
}
