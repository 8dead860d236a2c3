//! Chooses a Burn device by name (cpu, wgpu, cuda) at a program's edge; nothing below it picks one.

use burn::tensor::Device;

/// The backends this build can offer, in order of preference for `auto`.
pub fn available() -> Vec<&'static str> {
    let mut v = Vec::new();
    if cfg!(feature = "cuda") {
        v.push("cuda");
    }
    if cfg!(feature = "wgpu") {
        v.push("wgpu");
    }
    v.push("cpu");
    v
}

/// The device for a backend name, or an error that says how to get it.
pub fn device(name: &str) -> Result<Device, String> {
    match name {
        "cpu" | "flex" => Ok(Device::flex()),
        #[cfg(feature = "wgpu")]
        "wgpu" | "gpu" => Ok(Device::wgpu(burn::tensor::DeviceKind::DefaultDevice)),
        #[cfg(feature = "cuda")]
        "cuda" => Ok(Device::cuda(0)),
        #[cfg(not(feature = "wgpu"))]
        "wgpu" | "gpu" => Err("this build has no wgpu backend; rebuild with `--features wgpu`".into()),
        #[cfg(not(feature = "cuda"))]
        "cuda" => Err("this build has no CUDA backend; rebuild with `--features cuda` on a machine that can build burn-cuda (see native-bench/README.md)".into()),
        "auto" => device(available()[0]),
        other => Err(format!("unknown backend `{other}`; choose one of {}", available().join(", "))),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn cpu_is_always_there_and_unknown_names_are_explained() {
        assert!(super::device("cpu").is_ok());
        let err = super::device("tpu").unwrap_err();
        assert!(err.contains("unknown backend `tpu`") && err.contains("cpu"));
    }
}
