package io.filterscope.quality;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a gallery's marks mean (dead tiles, {@link GalleryChecks#flatTruth}, {@link GalleryChecks#prefersFlat}), in the one wording
 * that {@code gallery}'s PNG legend and the page both use: the page reads it from {@code GET /api/params} and its template,
 * both filled from {@link #entries}.
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

    /**
     * Every entry of the legend by the name the page reads it under: {@code dead}, {@code flatMark}, {@code flatTruth},
     * {@code prefersFlat}. The one list {@code GET /api/params} serves under {@code legend} ({@link #json}) and the page's
     * template is rendered with, so neither has an entry the other lacks.
     */
    public static Map<String, String> entries() {
        Map<String, String> entries = new LinkedHashMap<>();
        entries.put("dead", DEAD);
        entries.put("flatMark", FLAT_MARK);
        entries.put("flatTruth", FLAT_TRUTH);
        entries.put("prefersFlat", PREFERS_FLAT);
        return Collections.unmodifiableMap(entries);
    }

    /** {@link #entries} as a JSON object, as {@code GET /api/params} serves it under {@code legend}. */
    public static ObjectNode json() {
        ObjectNode json = JsonNodeFactory.instance.objectNode();
        entries().forEach(json::put);
        return json;
    }
}
