package io.filterscope.engine.attribution;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** What a classifier says of an image: its classes ranked by softmax probability. */
public final class Predictions {
    /** One class with its probability, in [0, 1]. */
    public record Prediction(int index, double probability) {
    }

    private Predictions() {
    }

    /** The {@code k} most probable classes, most probable first, from one image's logits. */
    public static List<Prediction> top(float[] logits, int k) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double[] p = new double[logits.length];
        double total = 0;
        for (int i = 0; i < logits.length; i++) {
            p[i] = Math.exp(logits[i] - max); // shifted by the maximum: no overflow
            total += p[i];
        }
        List<Prediction> all = new ArrayList<>();
        for (int i = 0; i < p.length; i++) {
            all.add(new Prediction(i, p[i] / total));
        }
        all.sort(Comparator.comparingDouble(Prediction::probability).reversed());
        return List.copyOf(all.subList(0, Math.min(k, all.size())));
    }
}
