// The README example of @steel/graph, kept runnable: node tools/bench/graph-readme-example.mjs
import { Graph, grad, Session, tensor } from '@steel/graph';

const g = new Graph();
const x = g.input('x', 'float32', ['batch', 4]); // named dims may change between runs
const W = g.param('W', [4, 3]); // a parameter: fed each run, gradient returned
const y = g.softmax(g.matmul(x, W), -1); // shapes checked now: y is [batch, 3]
const loss = g.reduceMean(g.mul(y, y), [0, 1]);
const [dW] = grad(loss, [W]); // backward pass, emitted as standard ONNX ops
g.output(y, 'y');
g.output(loss, 'loss');
g.output(dW, 'dW');

const session = await Session.create(g, { intraOpThreads: 2 });
const { outputs, ms } = await session.run({
  x: tensor(Float32Array.from([1, 2, 3, 4, 0, 1, 0, 1]), [2, 4]),
  W: tensor(
    Float32Array.from({ length: 12 }, (_, i) => (i - 6) / 10),
    [4, 3],
  ),
});
console.log(outputs.y.dims, outputs.loss.data[0], outputs.dW.data, `${ms.toFixed(2)} ms`);
