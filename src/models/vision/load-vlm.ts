/** Loading a Qwen-VL folder (mlx-vlm's layout or HF's, dense or quantized). */
import { loadWeights, readConfig } from "../load.ts";
import { ConfigError, type HfConfig } from "../config.ts";
import { vlmFamily, VlmModel } from "./vlm.ts";

/**
 * @example
 *   const { model } = await loadVlmDir("/models/Qwen2.5-VL-3B-Instruct-4bit");
 */
export async function loadVlmDir(dir: string): Promise<{ model: VlmModel; hfConfig: HfConfig }> {
  const hf = await readConfig(dir);
  if (!vlmFamily(hf)) throw new ConfigError(`${dir} is not a Qwen-VL model (model_type '${String(hf.model_type)}')`);
  const store = await loadWeights(dir, hf);
  return { model: VlmModel.load(store, hf), hfConfig: hf };
}
