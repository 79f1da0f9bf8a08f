package io.filterscope.image;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.font.FontRenderContext;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/** Contact sheets of filter visualisations: tiles in a grid, each with a label, dead filters crossed out. */
public final class Grids {
    static final int GAP = 4;
    static final int LABEL_HEIGHT = 14;
    static final int LEGEND_LINE_HEIGHT = 16;
    /** A legend wraps to its grid's width, but not narrower than this: narrower, it reads as a column of words. */
    static final int LEGEND_MIN_WIDTH = 360;
    static final Color BACKGROUND = new Color(0x202020);
    static final Color TEXT = new Color(0xC8C8C8);
    static final Color MARK = new Color(0xE8, 0x20, 0x20);
    /** Keeps a mistaken scale or tile count from asking for gigabytes. */
    private static final long MAX_PIXELS = 100_000_000L;
    /** The room a swatch takes at the left end of a label's line: a square of this side less 2, and a pixel each side. */
    private static final int SWATCH_ROOM = LABEL_HEIGHT - 2;
    private static final Font LABEL_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 10);
    private static final Font LEGEND_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
    // Must match the hints canvas() sets, so that measured text widths are the drawn ones.
    private static final FontRenderContext TEXT_CONTEXT = new FontRenderContext(null, true, false);

    private Grids() {}

    /**
     * Lays {@code tiles} out in rows of {@code columns} (fewer if there are fewer tiles), each enlarged
     * {@code scale} times with nearest-neighbour so that single pixels stay visible. With {@code labels}
     * each tile gets a text line below it, whole: a label wider than the tiles widens every cell, the tile centred in
     * it. Tiles whose index is in {@code marked} get a red border and cross and " dead" after their label, so a
     * filter that never activates is not mistaken for a flat grey one.
     */
    public static BufferedImage grid(List<BufferedImage> tiles, List<String> labels, Set<Integer> marked, int columns, int scale) {
        return grid(tiles, labels, null, marked, columns, scale);
    }

    /**
     * {@link #grid(List, List, Set, int, int)} with a small square of a colour at the left of a tile's label where
     * {@code swatches} has one (null entries, or a null list, for none): a gallery shows there the flat colour a filter
     * answers more than every example picture, beside its tile, which is a picture like the data.
     */
    public static BufferedImage grid(List<BufferedImage> tiles, List<String> labels, List<Color> swatches, Set<Integer> marked,
                                     int columns, int scale) {
        Set<Integer> dead = marked == null ? Set.of() : marked;
        checkGridArguments(tiles, labels, dead, columns, scale);
        if (swatches != null && (labels == null || swatches.size() != tiles.size())) {
            throw new IllegalArgumentException("swatches go beside labels, one per tile: " + swatches.size() + " for " + tiles.size()
                    + (labels == null ? " tiles without labels" : " tiles"));
        }
        int tileWidth = tiles.get(0).getWidth() * scale;
        int tileHeight = tiles.get(0).getHeight() * scale;
        int cellWidth = tileWidth;
        for (int i = 0; labels != null && i < tiles.size(); i++) {
            int swatch = swatches != null && swatches.get(i) != null ? 2 * SWATCH_ROOM : 0;
            cellWidth = Math.max(cellWidth, textWidth(LABEL_FONT, label(labels, dead, i)) + swatch + 2);
        }
        int cellHeight = tileHeight + (labels == null ? 0 : LABEL_HEIGHT);
        int cols = Math.min(columns, tiles.size());
        int rows = (tiles.size() + cols - 1) / cols;
        BufferedImage sheet = blank(GAP + (long) cols * (cellWidth + GAP), GAP + (long) rows * (cellHeight + GAP));
        Graphics2D g = canvas(sheet, LABEL_FONT);
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR);
        for (int i = 0; i < tiles.size(); i++) {
            int x = GAP + i % cols * (cellWidth + GAP);
            int y = GAP + i / cols * (cellHeight + GAP);
            int tileX = x + (cellWidth - tileWidth) / 2;
            g.drawImage(tiles.get(i), tileX, y, tileWidth, tileHeight, null);
            if (dead.contains(i)) {
                crossOut(g, tileX, y, tileWidth, tileHeight);
            }
            if (labels != null) {
                drawLabel(g, label(labels, dead, i), x, y + tileHeight, cellWidth);
            }
            if (swatches != null && swatches.get(i) != null) {
                drawSwatch(g, swatches.get(i), x, y + tileHeight);
            }
        }
        g.dispose();
        return sheet;
    }

    /**
     * Puts a header band with {@code lines} of text (what was rendered, how) above {@code grid}, each wrapped at spaces
     * to the grid's width (or {@link #LEGEND_MIN_WIDTH}), so that a long legend does not leave the grid beside an
     * empty band; a word wider than that widens the image.
     */
    public static BufferedImage withLegend(BufferedImage grid, List<String> lines) {
        // Not lines.contains(null): immutable lists throw NullPointerException for that.
        if (grid == null || lines == null || lines.stream().anyMatch(Objects::isNull)) {
            throw new IllegalArgumentException("grid and legend lines must not be null");
        }
        int limit = Math.max(grid.getWidth(), LEGEND_MIN_WIDTH) - 2 * GAP;
        List<String> wrapped = lines.stream().flatMap(line -> wrap(line, limit).stream()).toList();
        int textWidth = 0;
        for (String line : wrapped) {
            textWidth = Math.max(textWidth, textWidth(LEGEND_FONT, line));
        }
        int headerHeight = GAP + wrapped.size() * LEGEND_LINE_HEIGHT;
        BufferedImage result = blank(Math.max(grid.getWidth(), textWidth + 2 * GAP), (long) headerHeight + grid.getHeight());
        Graphics2D g = canvas(result, LEGEND_FONT);
        int ascent = g.getFontMetrics().getAscent();
        for (int i = 0; i < wrapped.size(); i++) {
            g.drawString(wrapped.get(i), GAP, GAP + i * LEGEND_LINE_HEIGHT + ascent);
        }
        g.drawImage(grid, 0, headerHeight, null);
        g.dispose();
        return result;
    }

    /** {@code line} in lines no wider than {@code limit} pixels in the legend's font, broken at spaces (a longer word alone). */
    private static List<String> wrap(String line, int limit) {
        List<String> lines = new ArrayList<>();
        String current = "";
        for (String word : line.split(" ")) {
            String longer = current.isEmpty() ? word : current + " " + word;
            if (!current.isEmpty() && textWidth(LEGEND_FONT, longer) > limit) {
                lines.add(current);
                current = word;
            } else {
                current = longer;
            }
        }
        lines.add(current);
        return lines;
    }

    /** Tile {@code i}'s label as drawn: " dead" after it when it is marked. */
    private static String label(List<String> labels, Set<Integer> dead, int i) {
        return labels.get(i) + (dead.contains(i) ? " dead" : "");
    }

    /** The width of {@code text} drawn in {@code font} on a {@link #canvas}, in pixels. */
    private static int textWidth(Font font, String text) {
        return (int) Math.ceil(font.getStringBounds(text, TEXT_CONTEXT).getWidth());
    }

    private static void checkGridArguments(List<BufferedImage> tiles, List<String> labels, Set<Integer> marked, int columns, int scale) {
        if (tiles == null || tiles.isEmpty() || tiles.stream().anyMatch(Objects::isNull)) {
            throw new IllegalArgumentException("a grid needs at least one tile, and no null tiles");
        }
        if (columns < 1 || scale < 1) {
            throw new IllegalArgumentException("columns and scale must be at least 1, got " + columns + " and " + scale);
        }
        int width = tiles.get(0).getWidth();
        int height = tiles.get(0).getHeight();
        for (int i = 1; i < tiles.size(); i++) {
            BufferedImage tile = tiles.get(i);
            if (tile.getWidth() != width || tile.getHeight() != height) {
                throw new IllegalArgumentException("all tiles must be the same size: tile 0 is " + width + "x" + height
                        + " but tile " + i + " is " + tile.getWidth() + "x" + tile.getHeight());
            }
        }
        if ((long) Math.max(width, height) * scale > MAX_PIXELS) {
            throw new IllegalArgumentException("scale " + scale + " makes " + width + "x" + height + " tiles too large");
        }
        if (labels != null && labels.size() != tiles.size()) {
            throw new IllegalArgumentException(labels.size() + " labels for " + tiles.size() + " tiles");
        }
        for (Integer index : marked) {
            if (index == null || index < 0 || index >= tiles.size()) {
                throw new IllegalArgumentException("marked tile " + index + " does not exist: there are " + tiles.size() + " tiles");
            }
        }
    }

    private static void crossOut(Graphics2D g, int x, int y, int width, int height) {
        g.setColor(MARK);
        g.drawRect(x, y, width - 1, height - 1);
        g.drawLine(x, y, x + width - 1, y + height - 1);
        g.drawLine(x + width - 1, y, x, y + height - 1);
    }

    /** Centred in its cell, {@code width} wide, which fits it ({@link #grid}). */
    private static void drawLabel(Graphics2D g, String label, int x, int top, int width) {
        g.setColor(TEXT);
        int baseline = (LABEL_HEIGHT + g.getFontMetrics().getAscent() - g.getFontMetrics().getDescent()) / 2;
        g.drawString(label, x + (width - g.getFontMetrics().stringWidth(label)) / 2, top + baseline);
    }

    /** A square of {@code colour} with a light rim at the left end of a label's line ({@link #SWATCH_ROOM} wide). */
    private static void drawSwatch(Graphics2D g, Color colour, int x, int top) {
        int side = SWATCH_ROOM - 2;
        g.setColor(colour);
        g.fillRect(x + 1, top + 2, side, side);
        g.setColor(TEXT);
        g.drawRect(x + 1, top + 2, side - 1, side - 1);
    }

    private static BufferedImage blank(long width, long height) {
        // Each side is checked first so that the product cannot overflow.
        if (width > MAX_PIXELS || height > MAX_PIXELS || width * height > MAX_PIXELS) {
            throw new IllegalArgumentException("image would be " + width + "x" + height + " pixels, more than the limit of " + MAX_PIXELS);
        }
        return new BufferedImage((int) width, (int) height, BufferedImage.TYPE_INT_RGB);
    }

    /** A graphics context on {@code image}, filled with the background, set up to draw text. */
    private static Graphics2D canvas(BufferedImage image, Font font) {
        Graphics2D g = image.createGraphics();
        g.setColor(BACKGROUND);
        g.fillRect(0, 0, image.getWidth(), image.getHeight());
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setFont(font);
        g.setColor(TEXT);
        return g;
    }
}
