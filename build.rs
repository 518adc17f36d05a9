// include_dir! embeds lessons/ and assets/ at compile time but (on stable)
// does not tell cargo about those files; without this an edited lesson would
// not reach the binary until some Rust file changed.
fn main() {
    println!("cargo:rerun-if-changed=lessons");
    println!("cargo:rerun-if-changed=assets");
    println!("cargo:rerun-if-changed=build.rs");
}
