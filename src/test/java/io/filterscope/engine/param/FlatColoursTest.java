package io.filterscope.engine.param;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The flat pictures a filter is judged against: a grid of five levels a channel, corners and mid-grey among them. */
class FlatColoursTest {

    @Test
    void anRgbGridHoldsEveryMixOfFiveLevelsOnceWithTheCornersAndMidGrey() {
        float[][] colours = FlatColours.of(3);
        assertEquals(125, colours.length);
        Set<List<Float>> seen = new HashSet<>();
        for (float[] colour : colours) {
            for (float v : colour) {
                assertTrue(v == 0 || v == 0.25f || v == 0.5f || v == 0.75f || v == 1, Arrays.toString(colour));
            }
            seen.add(List.of(colour[0], colour[1], colour[2]));
        }
        assertEquals(125, seen.size(), "no colour twice");
        for (int k = 0; k < 8; k++) {
            assertTrue(seen.contains(List.of((float) (k & 1), (float) (k >> 1 & 1), (float) (k >> 2 & 1))), "corner " + k);
        }
        assertTrue(seen.contains(List.of(0.5f, 0.5f, 0.5f)));
        assertArrayEquals(new float[] {0, 0, 0.25f}, colours[1], "the last channel fastest");
    }

    @Test
    void aGreyGridIsFiveGreysAndAPictureIsItsColourInEveryPixel() {
        float[][] greys = FlatColours.of(1);
        assertEquals(5, greys.length);
        assertArrayEquals(new float[] {0.75f}, greys[3]);
        float[] p = FlatColours.picture(new float[] {0.25f, 1}, 2, 3);
        assertArrayEquals(new float[] {0.25f, 0.25f, 0.25f, 0.25f, 0.25f, 0.25f, 1, 1, 1, 1, 1, 1}, p);
    }
}
