// Sizing store layers on a thread of their own (src/hashing/plan-thread.ts): the same plan as on
// the stream thread, the same bytes streamed from its recorded walk, and the same one-line
// UserError when a store path cannot be walked.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { PlanThread } from '../../src/hashing/plan-thread.ts';
import { UserError } from '../../src/errors.ts';
import { storePathsLayer } from '../../src/sources/store-paths.ts';
import { storeLayerPlan } from '../../src/tar/store-layer.ts';
import { buildVectorTree, collect, DEMO, NOTE, ROOT_OWNER, sha256Hex, tempDir } from '../tar/fixtures.ts';

// Vector C of format.md, as in test/sources/store-paths.test.ts.
const VECTOR_C = 'sha256:a690232b32e25880104b33ef304580fd4e002e227f570fc2a143317ec7087548';

describe('PlanThread', () => {
  const tree = tempDir();
  const planner = new PlanThread();
  before(() => buildVectorTree(tree.path));
  after(async () => {
    await planner.close();
    tree.cleanup();
  });
  const options = { ...ROOT_OWNER, root: tree.path };

  it('gives the plan of the stream thread, size and recorded walk alike', async () => {
    const [theirs, ours] = [await planner.plan([DEMO, NOTE], options), storeLayerPlan([DEMO, NOTE], options)];
    assert.equal(theirs.size, ours.size);
    assert.ok(theirs.walk !== undefined && ours.walk !== undefined && theirs.walk.equals(ours.walk));
  });

  it('plans several layers asked at once, each its own, and a layer streams vector C from its plan', async () => {
    const plans = await Promise.all([planner.plan([NOTE], options), planner.plan([DEMO, NOTE], options), planner.plan([DEMO], options)]);
    assert.deepEqual(plans.map((plan) => plan.size), [[NOTE], [DEMO, NOTE], [DEMO]].map((paths) => storeLayerPlan(paths, options).size));
    const layer = storePathsLayer([DEMO, NOTE], { ...options, planner: (paths, tarOptions) => planner.plan(paths, tarOptions) });
    assert.equal(await layer.size(), 10240);
    assert.equal(`sha256:${sha256Hex(await collect(layer.open()))}`, VECTOR_C);
    assert.equal(await layer.diffId(), VECTOR_C);
  });

  it('fails with the UserError the stream thread would give, through size()', async () => {
    const missing = '/nix/store/zzzz-missing';
    const expected = (() => {
      try {
        storeLayerPlan([missing], options);
      } catch (error) {
        return error as UserError;
      }
      throw new Error('storeLayerPlan did not fail');
    })();
    const layer = storePathsLayer([missing], { ...options, planner: (paths, tarOptions) => planner.plan(paths, tarOptions) });
    await assert.rejects(layer.size(), (error: unknown) => {
      assert.ok(error instanceof UserError, String(error));
      assert.equal(error.code, expected.code);
      assert.equal(error.message, expected.message);
      return true;
    });
  });
});
