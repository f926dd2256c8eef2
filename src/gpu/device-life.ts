// The device's life: whether the engine owns it, noticing its loss, and releasing it safely at the end.
import { releaseGpuRoot } from './device.ts';
import { DeviceLostError } from './errors.ts';

export class DeviceLife {
  private lostInfo: GPUDeviceLostInfo | null = null;

  constructor(
    private readonly device: GPUDevice,
    readonly ownsDevice: boolean,
    private readonly gpuRoot?: GPU,
  ) {
    // Remember a loss, so the next readback reports it instead of an empty DOMException from mapAsync.
    void device.lost?.then((info) => {
      this.lostInfo = info;
    });
  }

  /** Throws DeviceLostError if the device has been lost (waits briefly for the loss to be reported). */
  async checkLost(): Promise<void> {
    if (!this.lostInfo && this.device.lost)
      await Promise.race([this.device.lost, new Promise((r) => setTimeout(r, 50))]);
    const info = this.lostInfo;
    if (info) throw new DeviceLostError(String(info.reason ?? 'unknown'), info.message ?? '');
  }

  /** Destroy the device if the engine owns it (a borrowed device is left to its owner). */
  end(): void {
    if (!this.ownsDevice) return;
    this.device.destroy();
    // Dawn's Node binding still runs callbacks after destroy() (device.lost resolves, pending maps settle) through
    // its instance: releasing the GPU root at once let the instance be collected first, and the next callback then
    // crashed in InstanceBase::ProcessEvents (SIGSEGV/SIGABRT at exit, seen under CPU load). Release it a second
    // after the loss is delivered; the timer does not keep the process alive.
    const root = this.gpuRoot;
    void this.device.lost?.then(() => {
      const t = setTimeout(() => releaseGpuRoot(root), 1000);
      (t as { unref?: () => void }).unref?.();
    });
  }

  /**
   * After end(): resolves once the device's loss has been delivered and one more turn of the event loop has run
   * (at most `timeoutMs`), so a process that exits next leaves no Dawn callback in flight. A process that exited
   * straight after destroy() crashed natively at exit once in many CI runs (exit 139 after a usage error).
   */
  async settled(timeoutMs = 2000): Promise<void> {
    if (!this.ownsDevice || !this.device.lost) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([this.device.lost, new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
    await new Promise((r) => setTimeout(r, 0));
  }
}
