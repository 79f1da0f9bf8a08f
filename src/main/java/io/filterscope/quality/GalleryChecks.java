package io.filterscope.quality;

import io.filterscope.model.LoadedModel;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * What a gallery's tiles say about its live filters (issue 18: "no flat tiles for live filters", in colour):
 * which are flat ({@link PictureMeasures#flat}, flatter than 99% of the model's example pictures), which of those are
 * the filter's truth ({@link FilterBaselines#isFlatTruth}), which are near-flat to a person ({@link
 * PictureMeasures#colourDeviation} under {@link PictureMeasures#nearFlatLimit}: one colour with a faint gradient or a
 * soft spot, plainer than 95% of the example pictures; colour models only, where people calibrated it: on the
 * greyscale models' dark example pictures the same percentile also takes a thin bright outline on black for plain), which colour tiles are grey (channels under
 * {@link #GREY_LEVELS} levels apart on average) or pale (brighter than {@link #PALE_PERCENTILE}% of the model's
 * example pictures: faint patterns on near-white, where emoji-cnn's colour filters went with its prior from a random
 * start), which score below their filter's best example picture or best flat picture (the ascent missed a maximum
 * that a picture found without it reaches), and which filters answer a flat colour more than every example picture
 * ({@link FilterBaselines#prefersFlat}) and than their tile: a gallery tile is a picture like the data, never flat, so
 * it says that colour beside the tile instead (a filter whose tile beats its flat colour does not prefer it to what it
 * shows: emoji-cnn's conv2 filter 9 answers flat grey 0.602, its tile 0.614, its best example 0.493).
 *
 * @param live         the filters not reported dead, in gallery order
 * @param flat         live filters whose tile is flat and not their truth
 * @param flatTruth    live filters whose tile is flat and their truth
 * @param nearFlat     live filters whose tile is near-flat and not flat (empty for a greyscale model)
 * @param grey         live filters whose colour tile is grey and not flat (empty for a greyscale model)
 * @param pale         live filters whose tile is pale and not flat (empty without example pictures)
 * @param scores       per tile, in gallery order, its filter's mean activation on the tile as shown
 * @param deviations   per tile, in gallery order, its {@link PictureMeasures#colourDeviation}
 * @param belowExample live filters whose tile scores below their best example picture
 * @param belowFlat    live filters whose tile scores below their best flat picture
 * @param prefersFlat  live filters that answer their best flat picture more than every example picture and their tile
 */
public record GalleryChecks(List<Integer> live, List<Integer> flat, List<Integer> flatTruth, List<Integer> nearFlat,
                            List<Integer> grey, List<Integer> pale, double[] scores, double[] deviations,
                            List<Integer> belowExample, List<Integer> belowFlat, List<Integer> prefersFlat,
                            FilterBaselines baselines, double flatLimit, Double nearFlatLimit, Double paleLimit) {

    /** A colour tile is grey when its channels differ by fewer levels (of 255) than this on average. */
    public static final int GREY_LEVELS = 16;
    /**
     * A tile is pale when its {@link PictureMeasures#brightness} is above this percentile of the example pictures'
     * (emoji-cnn: 0.87; the pale conv2 tiles of data-prior were 0.81 to 0.97, the others 0.34 to 0.77).
     */
    public static final double PALE_PERCENTILE = 95;

    /**
     * Checks a gallery's tiles at the model's own size.
     *
     * @param filters the layer's filters, one per tile
     * @param tiles   display values in [0, 1], planar {@code c*h*w}, as the gallery shows them
     * @param dead    the filters reported dead (not checked)
     */
    public static GalleryChecks check(LoadedModel model, String layer, List<Integer> filters, List<float[]> tiles,
                                      Set<Integer> dead) throws IOException {
        int c = model.channels();
        int h = model.height();
        int w = model.width();
        ExampleLimits limits = model.exampleLimits();
        double limit = limits.flat();
        Double plain = limits.nearFlat();
        Double bright = limits.pale();
        FilterBaselines base = model.baselines(layer);
        double[][] all = FilterBaselines.scores(model, layer, tiles);
        double[] scores = new double[tiles.size()];
        double[] deviations = new double[tiles.size()];
        List<Integer> live = new ArrayList<>();
        List<Integer> flat = new ArrayList<>();
        List<Integer> truth = new ArrayList<>();
        List<Integer> near = new ArrayList<>();
        List<Integer> grey = new ArrayList<>();
        List<Integer> pale = new ArrayList<>();
        List<Integer> belowExample = new ArrayList<>();
        List<Integer> belowFlat = new ArrayList<>();
        List<Integer> prefersFlat = new ArrayList<>();
        for (int i = 0; i < tiles.size(); i++) {
            int f = filters.get(i);
            float[] tile = tiles.get(i);
            scores[i] = all[i][f];
            deviations[i] = PictureMeasures.colourDeviation(tile, c, h, w);
            if (dead.contains(f)) {
                continue;
            }
            live.add(f);
            if (PictureMeasures.flat(tile, c, h, w, limit)) {
                (base.isFlatTruth(f, tile, scores[i], c, h, w) ? truth : flat).add(f);
            } else {
                if (plain != null && deviations[i] < plain) {
                    near.add(f);
                }
                if (c == 3 && PictureMeasures.colourSpread(tile, c, h, w) < GREY_LEVELS) {
                    grey.add(f);
                }
                if (bright != null && PictureMeasures.brightness(tile) > bright) {
                    pale.add(f);
                }
            }
            if (scores[i] < base.bestExample()[f]) {
                belowExample.add(f);
            }
            if (scores[i] < base.bestFlat()[f]) {
                belowFlat.add(f);
            }
            if (base.prefersFlat(f) && scores[i] < base.bestFlat()[f]) {
                prefersFlat.add(f);
            }
        }
        return new GalleryChecks(live, flat, truth, near, grey, pale, scores, deviations, belowExample, belowFlat, prefersFlat, base,
                limit, plain, bright);
    }

    /** The lines {@code gallery} prints: each count of live tiles, with the filters and, for scores, the numbers. */
    public List<String> lines(List<Integer> filters) {
        List<String> lines = new ArrayList<>();
        lines.add(String.format("flat tiles of live filters: %d of %d%s (flat: more than %.0f%% of the tile within %d levels of its "
                + "median colour)", flat.size() + flatTruth.size(), live.size(), list(union(flat, flatTruth)), 100 * flatLimit,
                PictureMeasures.FLAT_LEVELS));
        lines.add(String.format("  of which the filter's truth (the flat picture it prefers to every example, or a tile it "
                + "answers at least as much as every example and flat picture): %d%s", flatTruth.size(), list(flatTruth)));
        lines.add(nearFlatLimit == null ? "near-flat tiles: not measured (a greyscale model; calibrated on colour tiles)"
                : String.format("near-flat tiles of live filters: %d of %d%s (near-flat: not flat, a mean CIE94 colour difference "
                + "from the tile's mean colour below %.1f, the %.0fth percentile of the example pictures')", nearFlat.size(), live.size(),
                measured(filters, nearFlat, deviations), nearFlatLimit, PictureMeasures.NEAR_FLAT_PERCENTILE));
        lines.add(String.format("grey tiles of live filters: %d of %d%s (grey: not flat, channels under %d levels apart on average)",
                grey.size(), live.size(), list(grey), GREY_LEVELS));
        lines.add(paleLimit == null ? "pale tiles: not measured (no example pictures)"
                : String.format("pale tiles of live filters: %d of %d%s (pale: not flat, brighter than %.0f%% of the example pictures, %.3f)",
                pale.size(), live.size(), list(pale), PALE_PERCENTILE, paleLimit));
        lines.add(String.format("below their best example picture: %d of %d%s", belowExample.size(), live.size(),
                scored(filters, belowExample, baselines.bestExample())));
        lines.add(String.format("below their best flat picture: %d of %d%s", belowFlat.size(), live.size(),
                scored(filters, belowFlat, baselines.bestFlat())));
        lines.add(String.format("prefer a flat colour to every example picture and their tile: %d of %d%s", prefersFlat.size(), live.size(),
                prefersFlat.isEmpty() ? "" : " [" + String.join(", ", prefersFlat.stream().map(f -> preference(filters, f)).toList()) + "]"));
        return lines;
    }

    /** "4 prefers flat #ffffff, scores 0.854 vs tile 0.507": what a filter that {@link #prefersFlat} answers, its tile's caption. */
    public String preference(List<Integer> filters, int f) {
        return String.format("%d prefers flat %s, scores %.3f vs tile %.3f", f, baselines.hex(f), baselines.bestFlat()[f],
                scores[filters.indexOf(f)]);
    }

    private static List<Integer> union(List<Integer> a, List<Integer> b) {
        List<Integer> all = new ArrayList<>(a);
        all.addAll(b);
        all.sort(null);
        return all;
    }

    private static String list(List<Integer> filters) {
        return filters.isEmpty() ? "" : " " + filters;
    }

    /** " [9 (3.1), ...]": each filter with its tile's value. */
    private static String measured(List<Integer> filters, List<Integer> listed, double[] values) {
        return listed.isEmpty() ? "" : " [" + String.join(", ", listed.stream()
                .map(f -> String.format("%d (%.1f)", f, values[filters.indexOf(f)])).toList()) + "]";
    }

    /** " [9 (0.44 < 0.49), ...]": each filter's tile score against the baseline it missed. */
    private String scored(List<Integer> filters, List<Integer> missed, double[] baseline) {
        if (missed.isEmpty()) {
            return "";
        }
        List<String> parts = new ArrayList<>();
        for (int f : missed) {
            parts.add(String.format("%d (%.3f < %.3f)", f, scores[filters.indexOf(f)], baseline[f]));
        }
        return " [" + String.join(", ", parts) + "]";
    }
}
