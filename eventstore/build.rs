// `sqlx::migrate!` embeds the migrations when this crate is compiled; without this, adding one
// would not rebuild the crate and the binaries would run without it.
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
