package io.filterscope.image;

import static io.filterscope.image.Grids.GAP;
import static io.filterscope.image.Grids.LABEL_HEIGHT;
import static io.filterscope.image.Grids.LEGEND_LINE_HEIGHT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class GridsTest {
    private static final int BACKGROUND = 0x202020;
    private static final int MID_GREY = 0x808080;

    @Test
    void gridSizeIsTilesPlusGapsPlusLabelLines() {
        List<BufferedImage> tiles = greyTiles(10, 28);

        BufferedImage labelled = Grids.grid(tiles, labels(10), Set.of(), 4, 2);
        BufferedImage unlabelled = Grids.grid(tiles, null, Set.of(), 4, 2);

        // 4 columns and 3 rows of 56x56 tiles, with 4 px gaps around and between them.
        assertEquals(4 * 56 + 5 * GAP, labelled.getWidth());
        assertEquals(3 * (56 + LABEL_HEIGHT) + 4 * GAP, labelled.getHeight());
        assertEquals(3 * 56 + 4 * GAP, unlabelled.getHeight());
        assertEquals(BufferedImage.TYPE_INT_RGB, labelled.getType());
        assertEquals(BACKGROUND, rgb(labelled, 0, 0));
    }

    @Test
    void fewerTilesThanColumnsMakeANarrowerGrid() {
        BufferedImage grid = Grids.grid(greyTiles(2, 5), null, Set.of(), 8, 1);

        assertEquals(2 * 5 + 3 * GAP, grid.getWidth());
    }

    @Test
    void tilesAreEnlargedWithoutBlurring() {
        // A 2x2 checkerboard tile: black, white / white, black.
        BufferedImage tile = Tiles.gray(new float[] {0f, 1f, 1f, 0f}, 2, 2);

        BufferedImage grid = Grids.grid(List.of(tile), null, Set.of(), 1, 4);

        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 8; x++) {
                int expected = (x < 4) == (y < 4) ? 0x000000 : 0xFFFFFF;
                assertEquals(expected, rgb(grid, GAP + x, GAP + y), "pixel " + x + "," + y);
            }
        }
    }

    @Test
    void markedTilesAreCrossedOutInRedAndOthersAreNot() {
        int size = 28;
        int scale = 2;
        BufferedImage grid = Grids.grid(greyTiles(6, size), labels(6), Set.of(1, 4), 3, scale);

        int cellWidth = size * scale + GAP;
        int cellHeight = size * scale + LABEL_HEIGHT + GAP;
        for (int i = 0; i < 6; i++) {
            int left = GAP + i % 3 * cellWidth;
            int top = GAP + i / 3 * cellHeight;
            boolean marked = i == 1 || i == 4;
            for (int k = 2; k < size * scale - 2; k += 7) {
                int diagonal = rgb(grid, left + k, top + k);
                int antiDiagonal = rgb(grid, left + size * scale - 1 - k, top + k);
                assertEquals(marked, isRed(diagonal), "tile " + i + " diagonal at " + k);
                assertEquals(marked, isRed(antiDiagonal), "tile " + i + " anti-diagonal at " + k);
                if (!marked) {
                    assertEquals(MID_GREY, diagonal);
                }
            }
            assertEquals(marked, isRed(rgb(grid, left + size, top)), "tile " + i + " top border");
        }
    }

    @Test
    void markedLabelsGetADeadSuffix() {
        List<BufferedImage> tiles = greyTiles(2, 40);
        List<String> sameLabel = List.of("#7", "#7");

        BufferedImage grid = Grids.grid(tiles, sameLabel, Set.of(1), 2, 2);

        int labelTop = GAP + 80;
        int plainWidth = inkWidth(grid, GAP, labelTop, 80);
        int deadWidth = inkWidth(grid, GAP + 80 + GAP, labelTop, 80);
        assertTrue(plainWidth > 0, "label drawn");
        assertTrue(deadWidth > plainWidth + 10, "'#7 dead' is wider than '#7': " + deadWidth + " vs " + plainWidth);
    }

    /** A swatch is a square of its colour at the left of its tile's label line; a tile without one has none there. */
    @Test
    void aSwatchIsDrawnBesideItsTilesLabelOnly() {
        List<BufferedImage> tiles = greyTiles(2, 40);
        BufferedImage grid = Grids.grid(tiles, List.of("7", "8"), Arrays.asList(new java.awt.Color(0xFF00FF), null), Set.of(), 2, 2);

        int middle = GAP + 80 + LABEL_HEIGHT / 2;
        assertEquals(0xFF00FF, rgb(grid, GAP + 1 + LABEL_HEIGHT / 2 - 2, middle), "the swatch's colour");
        assertEquals(BACKGROUND, rgb(grid, GAP + 80 + GAP + 1 + LABEL_HEIGHT / 2 - 2, middle), "no swatch under the other tile");
        assertThrows(IllegalArgumentException.class, () -> Grids.grid(tiles, null, Arrays.asList(java.awt.Color.RED, null), Set.of(), 2, 1),
                "a swatch needs a label line");
        assertThrows(IllegalArgumentException.class, () -> Grids.grid(tiles, List.of("7", "8"), List.of(java.awt.Color.RED), Set.of(), 2, 1));
    }

    /** A label wider than the tiles (a class and what it was taken for) widens every cell and is drawn whole. */
    @Test
    void aLabelWiderThanItsTileWidensTheCellsAndIsDrawnWhole() {
        BufferedImage grid = Grids.grid(greyTiles(2, 10), List.of("building -> sky or weather", "7"), Set.of(), 2, 1);

        int cell = (grid.getWidth() - GAP) / 2 - GAP;
        assertTrue(cell > 100, "cell width " + cell);
        assertTrue(inkWidth(grid, GAP, GAP + 10, cell) > 100, "the label is not cut at the tile's 10 px");
        assertEquals(MID_GREY, rgb(grid, GAP + cell / 2, GAP + 5), "the tile is centred in its cell");
        assertEquals(BACKGROUND, rgb(grid, GAP + 1, GAP + 5), "beside the tile is the background");
    }

    /** A legend longer than the grid is wide wraps to the grid's width rather than leave the grid beside an empty band. */
    @Test
    void aLongLegendWrapsToTheGridsWidth() {
        BufferedImage grid = Grids.grid(greyTiles(6, 80), null, Set.of(), 6, 1);
        String line = String.join(" ", java.util.Collections.nCopies(40, "checks:"));

        BufferedImage withLegend = Grids.withLegend(grid, List.of("title", line));

        assertEquals(grid.getWidth(), withLegend.getWidth());
        assertTrue(withLegend.getHeight() >= grid.getHeight() + GAP + 4 * LEGEND_LINE_HEIGHT,
                "the long line takes three lines or more: " + withLegend.getHeight());
    }

    @Test
    void badArgumentsAreRejectedWithAReason() {
        List<BufferedImage> mixed = List.of(new BufferedImage(28, 28, BufferedImage.TYPE_INT_RGB),
                new BufferedImage(28, 27, BufferedImage.TYPE_INT_RGB));
        IllegalArgumentException sizes = assertThrows(IllegalArgumentException.class, () -> Grids.grid(mixed, null, Set.of(), 2, 1));
        assertTrue(sizes.getMessage().contains("28x27"), sizes.getMessage());

        List<BufferedImage> tiles = greyTiles(3, 4);
        assertThrows(IllegalArgumentException.class, () -> Grids.grid(tiles, labels(2), Set.of(), 2, 1));
        IllegalArgumentException marked = assertThrows(IllegalArgumentException.class, () -> Grids.grid(tiles, null, Set.of(3), 2, 1));
        assertTrue(marked.getMessage().contains("marked tile 3"), marked.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Grids.grid(tiles, null, Set.of(), 0, 1));
        assertThrows(IllegalArgumentException.class, () -> Grids.grid(Collections.emptyList(), null, Set.of(), 2, 1));
        assertThrows(IllegalArgumentException.class, () -> Grids.grid(tiles, null, Set.of(), 2, 1_000_000));
    }

    @Test
    void legendAddsAHeaderBandAboveTheGrid() {
        BufferedImage grid = Grids.grid(greyTiles(4, 10), null, Set.of(), 4, 1);
        List<String> lines = List.of("fashion-cnn conv2, 32 filters, 64 steps, seed 1", "dead: 3, 17");

        BufferedImage withLegend = Grids.withLegend(grid, lines);

        int header = GAP + 2 * LEGEND_LINE_HEIGHT;
        assertEquals(grid.getHeight() + header, withLegend.getHeight());
        // The first line is wider than this small grid, so the image widens to fit it.
        assertTrue(withLegend.getWidth() > grid.getWidth(), "width " + withLegend.getWidth());
        assertEquals(MID_GREY, rgb(withLegend, GAP, header + GAP));
        assertTrue(inkWidth(withLegend, 0, 0, withLegend.getWidth()) > 100, "legend text drawn");
        assertEquals(BufferedImage.TYPE_INT_RGB, withLegend.getType());
    }

    private static List<BufferedImage> greyTiles(int count, int size) {
        float[] grey = new float[size * size];
        Arrays.fill(grey, 128 / 255f);
        return IntStream.range(0, count).mapToObj(i -> Tiles.gray(grey, size, size)).toList();
    }

    private static List<String> labels(int count) {
        return IntStream.range(0, count).mapToObj(i -> "#" + i).toList();
    }

    private static int rgb(BufferedImage image, int x, int y) {
        return image.getRGB(x, y) & 0xFFFFFF;
    }

    private static boolean isRed(int rgb) {
        return (rgb >> 16 & 0xFF) > 200 && (rgb >> 8 & 0xFF) < 80 && (rgb & 0xFF) < 80;
    }

    /** How many columns in the band (left, top)..(left + width, top + LABEL_HEIGHT) hold anything but background. */
    private static int inkWidth(BufferedImage image, int left, int top, int width) {
        int first = Integer.MAX_VALUE;
        int last = -1;
        for (int x = left; x < left + width; x++) {
            for (int y = top; y < top + LABEL_HEIGHT; y++) {
                if (rgb(image, x, y) != BACKGROUND) {
                    first = Math.min(first, x);
                    last = x;
                }
            }
        }
        return last < 0 ? 0 : last - first + 1;
    }
}
