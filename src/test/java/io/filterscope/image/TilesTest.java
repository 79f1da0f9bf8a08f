package io.filterscope.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;

class TilesTest {
    private static final int VIRIDIS_FIRST = 0x440154;
    private static final int VIRIDIS_LAST = 0xFDE725;

    @Test
    void grayMapsZeroToBlackOneToWhiteAndClamps() {
        BufferedImage image = Tiles.gray(new float[] {0f, 1f, 0.5f, -0.5f, 2f, Float.NaN}, 3, 2);

        assertEquals(BufferedImage.TYPE_BYTE_GRAY, image.getType());
        assertArrayEquals(new int[] {0, 255, 128, 0, 255, 0}, image.getRaster().getPixels(0, 0, 3, 2, (int[]) null));
    }

    @Test
    void rgbReadsOnePlanePerChannel() {
        // Two pixels: red plane {1, 0}, green plane {0, 0.5}, blue plane {3 (clamped), 0}.
        BufferedImage image = Tiles.rgb(new float[] {1f, 0f, 0f, 0.5f, 3f, 0f}, 2, 1);

        assertEquals(BufferedImage.TYPE_INT_RGB, image.getType());
        assertEquals(0xFF00FF, image.getRGB(0, 0) & 0xFFFFFF);
        assertEquals(0x008000, image.getRGB(1, 0) & 0xFFFFFF);
    }

    @Test
    void fromPlanesPicksGrayOrRgbByChannelCount() {
        assertEquals(BufferedImage.TYPE_BYTE_GRAY, Tiles.fromPlanes(new float[4], 1, 2, 2).getType());
        assertEquals(BufferedImage.TYPE_INT_RGB, Tiles.fromPlanes(new float[12], 3, 2, 2).getType());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tiles.fromPlanes(new float[8], 2, 2, 2));
        assertTrue(e.getMessage().contains("2 channels"), e.getMessage());
    }

    @Test
    void wrongNumberOfValuesIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tiles.rgb(new float[4], 2, 2));
        assertTrue(e.getMessage().contains("expected 12 values"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Tiles.gray(new float[0], 0, 0));
    }

    @Test
    void colourMappedSpansViridisFromMinimumToMaximum() {
        BufferedImage image = Tiles.colourMapped(new float[] {-1f, 1f, 3f}, 3, 1);

        assertEquals(VIRIDIS_FIRST, image.getRGB(0, 0) & 0xFFFFFF);
        // Halfway lies between the 8th and 9th anchors, 0x23888E and 0x1F988B.
        assertEquals(0x21908D, image.getRGB(1, 0) & 0xFFFFFF);
        assertEquals(VIRIDIS_LAST, image.getRGB(2, 0) & 0xFFFFFF);
    }

    @Test
    void constantFeatureMapGetsTheLowestColour() {
        BufferedImage image = Tiles.colourMapped(new float[] {0.7f, 0.7f, 0.7f, 0.7f}, 2, 2);

        for (int rgb : image.getRGB(0, 0, 2, 2, null, 0, 2)) {
            assertEquals(VIRIDIS_FIRST, rgb & 0xFFFFFF);
        }
    }
}
