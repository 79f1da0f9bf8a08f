package io.filterscope.quality;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What a gallery's marks mean (dead tiles, {@link GalleryChecks#flatTruth}, {@link GalleryChecks#prefersFlat}), in the one wording
 * that {@code gallery}'s PNG legend and the page both use: the page reads it from {@code GET /api/params} and its template.
 */
public final class GalleryLegend {
    /** What a tile marked dead means ({@code AscentRun.dead}). */
    public static final String DEAD = "a dead filter fires on no example picture, nor on its own picture";
    /** After the label of a tile that is a flat colour and its filter's truth, so that it does not look like a failure. */
    public static final String FLAT_MARK = "flat*";
    /** What {@link #FLAT_MARK} means. */
    public static final String FLAT_TRUTH = "this tile is one flat colour, and rightly: its filter responds to it at least as strongly as to any example picture";
    /** What the colour square beside a tile's label means. */
    public static final String PREFERS_FLAT = "square: a flat colour its filter responds to more strongly than to any example picture and to its tile";

    private GalleryLegend() {
    }

    /** {@code {"flatMark": ..., "flatTruth": ..., "prefersFlat": ...}}, as {@code GET /api/params} serves it under {@code legend}. */
    public static ObjectNode json() {
        return JsonNodeFactory.instance.objectNode().put("flatMark", FLAT_MARK).put("flatTruth", FLAT_TRUTH)
                .put("prefersFlat", PREFERS_FLAT);
    }
}
