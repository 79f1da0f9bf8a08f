package io.filterscope.engine.render;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.filterscope.engine.param.ImagePrior;
import io.filterscope.engine.param.InputSpace;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

class ModelDataTest {

    @Test
    void aPriorIsKeptOnlyForImagesOfItsOwnSize() {
        ImagePrior prior = new ImagePrior("test.prior", 1, 4, 4, Nd4j.zeros(DataType.DOUBLE, 16), Nd4j.eye(16).castTo(DataType.DOUBLE));
        ModelData data = new ModelData(InputSpace.UNIT, prior, null, null, null, layer -> true, layer -> false);
        assertSame(data, data.at(4));
        ModelData larger = data.at(8);
        assertNull(larger.prior(), "a 4x4 prior says nothing about 8x8 pictures");
        assertSame(InputSpace.UNIT, larger.space());
        assertSame(data.anySize(), larger.anySize());
    }
}
