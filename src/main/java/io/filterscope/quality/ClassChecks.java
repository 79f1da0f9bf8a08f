package io.filterscope.quality;

import io.filterscope.model.ModelMetadata.PictureStatistics;
import java.util.ArrayList;
import java.util.List;

/**
 * The three checks a class image must pass for a person to be able to name it (issue 13): (a) an independent
 * {@link Checker} names its class, (b) it is no more jagged than the training pictures (its mean absolute
 * neighbour difference is at most their 99th percentile: noise fails), (c) it has at least their contrast (its
 * pixel standard deviation is at least their 1st percentile: a faint grey blob fails).
 */
public final class ClassChecks {
    private ClassChecks() {
    }

    /**
     * One class image's checks.
     *
     * @param checkerSays the class the checker sees, or -1 without a checker
     * @param named       (a), or null without a checker
     * @param smooth      (b), or null without the training pictures' statistics
     * @param contrasty   (c), or null without them
     */
    public record Result(int index, int checkerSays, double neighbourDifference, double contrast, Boolean named,
                         Boolean smooth, Boolean contrasty) {

        /** Whether every check that could be made passed. */
        public boolean passes() {
            return !Boolean.FALSE.equals(named) && !Boolean.FALSE.equals(smooth) && !Boolean.FALSE.equals(contrasty);
        }
    }

    /**
     * Checks class images (display values, planar {@code c*h*w}, in [0, 1], image k of class k).
     *
     * @param statistics the model's training pictures' statistics, or null
     * @param checker    an independent classifier of the same classes, or null
     */
    public static List<Result> check(List<float[]> pictures, int c, int h, int w, PictureStatistics statistics, Checker checker) {
        int[] says = checker == null ? null : checker.classify(pictures, c, h, w);
        List<Result> results = new ArrayList<>();
        for (int k = 0; k < pictures.size(); k++) {
            double jagged = PictureMeasures.neighbourDifference(pictures.get(k), c, h, w);
            double contrast = PictureMeasures.contrast(pictures.get(k));
            results.add(new Result(k, says == null ? -1 : says[k], jagged, contrast, says == null ? null : says[k] == k,
                    statistics == null ? null : jagged <= statistics.neighbourDifferenceP99(),
                    statistics == null ? null : contrast >= statistics.contrastP1()));
        }
        return results;
    }

    /** How many results pass a check: (a) 'a', (b) 'b', (c) 'c', or all of them: '*'. */
    public static long count(List<Result> results, char check) {
        return results.stream().filter(r -> switch (check) {
            case 'a' -> Boolean.TRUE.equals(r.named());
            case 'b' -> Boolean.TRUE.equals(r.smooth());
            case 'c' -> Boolean.TRUE.equals(r.contrasty());
            default -> r.passes() && r.named() != null && r.smooth() != null;
        }).count();
    }
}
