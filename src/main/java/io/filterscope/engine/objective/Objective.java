package io.filterscope.engine.objective;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.filterscope.engine.net.Network;
import java.util.Set;

/**
 * A scalar to maximize for one image of the batch, read from the outputs of one or more layers. Objectives
 * compose: {@code 0.2 * channel(a) + 0.8 * channel(b)} is a {@link WeightedSum}.
 */
public interface Objective {

    /** The layers whose outputs this objective reads. */
    Set<String> layers();

    /**
     * Returns the objective's value for image {@code image} of the last forward pass and adds
     * {@code weight} times its gradient into that image's slice of {@link Network#gradient} of each layer.
     */
    double evaluate(Network net, int image, double weight);

    /** The protocol's JSON form, which {@link Objectives#parse} reads back. */
    ObjectNode toJson();

    /** Short label, as a gallery tile or a log line shows it. */
    String label();
}
