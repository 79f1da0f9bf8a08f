package io.filterscope.model.keras;

/**
 * A tensor of a Keras model as the reader holds it: the graph node that computes it, and how our stored
 * layout relates to Keras' own. Maps are stored NCHW; {@code order[i]} is the Keras axis (per image, batch
 * not counted) that our per-image axis i holds: [2, 0, 1] for a channels-last [h, w, c] map, [0, 1, 2] for
 * channels first or rows.
 */
record KerasTensor(int node, int[] order) {
    static final int[] CHANNELS_LAST = {2, 0, 1};
    static final int[] IDENTITY_3 = {0, 1, 2};
    static final int[] ROWS = {0};

    /** Axes per image: 1 for rows, 3 for maps. */
    int rank() {
        return order.length;
    }

    boolean maps() {
        return order.length == 3;
    }

    /** Our per-image axis that holds Keras axis {@code kerasAxis}. */
    int ourAxis(int kerasAxis) {
        for (int i = 0; i < order.length; i++) {
            if (order[i] == kerasAxis) {
                return i;
            }
        }
        throw new IllegalArgumentException("no axis " + kerasAxis);
    }
}
