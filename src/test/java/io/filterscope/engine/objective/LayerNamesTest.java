package io.filterscope.engine.objective;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.filterscope.UserError;
import io.filterscope.engine.net.LayerInfo;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * An objective names its layer by the layer's name or its second name (an ONNX node's name beside its output
 * tensor's, docs/protocol.md), and the objective it builds always targets the layer by its name.
 */
class LayerNamesTest {
    private static final Objectives OBJECTIVES = new Objectives(List.of(
            new LayerInfo("/c1/Conv_output_0", "conv2d 3x3", 8, List.of(8L, 30L, 30L), "/c1/Conv"),
            new LayerInfo("12", "dense 8->5", 5, List.of(5L), "/fc/Gemm")), null);

    private static Objective parse(String json) throws Exception {
        return OBJECTIVES.parse(new ObjectMapper().readTree(json));
    }

    @Test
    void everyLayerObjectiveAnswersToTheLayersSecondName() throws Exception {
        assertEquals(new ChannelObjective("/c1/Conv_output_0", 3), parse("{\"type\":\"channel\",\"layer\":\"/c1/Conv\",\"filter\":3}"));
        assertEquals(NeuronObjective.centre("/c1/Conv_output_0", 2), parse("{\"type\":\"neuron\",\"layer\":\"/c1/Conv\",\"filter\":2}"));
        assertEquals(new DeepDreamObjective("/c1/Conv_output_0"), parse("{\"type\":\"deepdream\",\"layer\":\"/c1/Conv\"}"));
        assertEquals(new ChannelObjective("12", 4), parse("{\"type\":\"channel\",\"layer\":\"/fc/Gemm\",\"filter\":4}"));
        assertEquals(new ChannelObjective("/c1/Conv_output_0", 1), OBJECTIVES.channel("/c1/Conv", 1));
    }

    @Test
    void aNameNoLayerAnswersToIsNotFoundListingTheLayers() {
        UserError e = assertThrows(UserError.class, () -> parse("{\"type\":\"channel\",\"layer\":\"/c2/Conv\",\"filter\":0}"));
        assertTrue(e.getMessage().startsWith("unknown layer '/c2/Conv' (layers: /c1/Conv_output_0, 12"), e.getMessage());
    }
}
