use super::*;
use clap::CommandFactory;

#[test]
fn a_maximum_runtime_is_one_second_to_four_hundred_days() {
    assert_eq!(parse_max_runtime("1s").unwrap(), 1);
    assert_eq!(
        parse_max_runtime("400d").unwrap(),
        crate::record::INTERVAL_MAX
    );
    assert_eq!(
        parse_max_runtime("401d").map_err(|e| e.to_string()),
        Err("invalid duration `401d`: it must be at most 400 days".to_owned())
    );
    assert_eq!(
        parse_max_runtime("18446744073709551615").map_err(|e| e.to_string()),
        Err("invalid duration `18446744073709551615`: it must be at most 400 days".to_owned())
    );
    assert!(parse_max_runtime("0").is_err());
}

#[test]
fn the_command_is_well_formed() {
    Args::command().debug_assert();
}

#[test]
fn the_crontab_reader_knows_every_option_that_takes_a_value() {
    use crate::schedule::command::VALUE_OPTIONS;
    for arg in Args::command().get_arguments() {
        let Some(long) = arg.get_long() else { continue };
        if arg.get_action().takes_values() && !arg.is_positional() {
            let option = format!("--{long}");
            assert!(
                VALUE_OPTIONS.split_whitespace().any(|o| o == option),
                "{option} takes a value: add it to schedule::command::VALUE_OPTIONS"
            );
        }
    }
}
